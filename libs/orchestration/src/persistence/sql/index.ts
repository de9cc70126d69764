/**
 * Orchestration's SQL functions, one `.sql` file per function: the reads of its tables that other
 * modules may make (they never name its tables themselves). Applied like credit's (see
 * CREDIT_FUNCTIONS_DIR); the build copies the files beside the compiled code.
 */
export const ORCHESTRATION_FUNCTIONS_DIR = __dirname;
