/**
 * The gateway's SQL functions, one `.sql` file per function (DESIGN.md "Where the money rules
 * live"): the Messages API's credit work in one statement each way, composed of the ledger's own
 * functions (credit.place_request_hold, credit.settle_hold). The composition root hands the
 * directory to the database module; the build copies the files beside the compiled code.
 */
export const GATEWAY_FUNCTIONS_DIR = __dirname;
