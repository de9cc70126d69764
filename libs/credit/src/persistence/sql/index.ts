/**
 * The credit module's SQL functions, one `.sql` file per function in this directory (DESIGN.md
 * "Where the money rules live"); the composition root hands the directory to the database
 * module, which applies changed files after the migrations. The build copies the files beside
 * the compiled code, so this path holds in dist as in the sources.
 */
export const CREDIT_FUNCTIONS_DIR = __dirname;
