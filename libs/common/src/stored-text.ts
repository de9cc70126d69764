/**
 * Text as Postgres can store it (DESIGN.md "Converse pipeline" 5): a `text` value can't hold
 * U+0000, so it is replaced by U+FFFD (the replacement character) — in what is stored and in what
 * is answered alike. Everything else is kept as it came. Every place that stores provider text
 * passes it through here, so a reply that was paid for never fails to record.
 */
export function storableText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}
