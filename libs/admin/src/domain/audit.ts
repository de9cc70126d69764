/** One audited staff action, written in the transaction of the action it describes. */
export interface AuditEntry {
  actorPersonId: string;
  action: string;
  subjectType: 'grant' | 'person' | 'rate' | 'config' | 'webhook' | 'api_key' | 'engagement' | 'service_key' | 'turn' | 'llm_call' | 'authorization' | 'ledger';
  subjectId: string;
  details?: Record<string, unknown>;
}

/** An entry as stored: its id (the trail's order) and when it was written. */
export interface StoredAuditEntry extends Required<AuditEntry> {
  id: string;
  createdAt: Date;
}
