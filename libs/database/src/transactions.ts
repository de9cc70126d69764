import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/**
 * A transaction handle. Services that must join their caller's transaction (claim at signup,
 * delete account + end sessions) take one; to everyone else it is opaque.
 */
export type Tx = EntityManager;

export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

@Injectable()
export class Transactions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs `work` in a new transaction: committed when it resolves, rolled back when it throws. */
  run<T>(work: (tx: Tx) => Promise<T>, isolation: IsolationLevel = 'READ COMMITTED'): Promise<T> {
    return this.dataSource.transaction(isolation, work);
  }

  /** Joins the caller's transaction when given one, else opens its own. */
  join<T>(tx: Tx | undefined, work: (tx: Tx) => Promise<T>): Promise<T> {
    return tx ? work(tx) : this.run(work);
  }

  /** A handle outside any transaction, for plain reads. */
  get manager(): Tx {
    return this.dataSource.manager;
  }
}
