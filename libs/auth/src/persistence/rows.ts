/** TypeORM answers UPDATE … RETURNING with [rows, count]; SELECT and INSERT with rows. */
export const updatedRows = <T>(result: [T[], number]): T[] => result[0];

/** TypeORM answers a DELETE with [rows, affected]. */
export const deletedCount = (result: [unknown[], number]): number => result[1];
