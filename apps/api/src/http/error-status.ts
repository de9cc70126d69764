export { ERROR_STATUS } from '@loomworks/common';

/** Codes for errors raised by the framework itself (routing, body parsing), by HTTP status. */
export const HTTP_STATUS_CODE: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};
