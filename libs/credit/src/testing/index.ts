export { PermissiveCreditSeam } from './permissive-credit-seam';
