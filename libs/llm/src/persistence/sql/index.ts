/**
 * The llm module's SQL functions, one `.sql` file per function (DESIGN.md "Where the money rules
 * live"): the call log's writer, which a caller's own statement may call too (the Messages API
 * settles a call and logs it in one). The composition root hands the directory to the database
 * module; the build copies the files beside the compiled code.
 */
export const LLM_FUNCTIONS_DIR = __dirname;
