/** Intent classification and routing: which instructions the responder gets for each kind of message. */
export const INTENTS = ['question', 'task', 'feedback', 'smalltalk'] as const;
export type Intent = (typeof INTENTS)[number];

export const CLASSIFIER_SYSTEM =
  `Classify the user's message. Answer with exactly one word from: ${INTENTS.join(', ')}.`;

/** The classifier's first word, if it is a known intent; questions are the safe default. */
export function parseIntent(text: string): Intent {
  const word = text.trim().split(/\s+/)[0]?.toLowerCase().replace(/[^a-z]/g, '');
  return (INTENTS as readonly string[]).includes(word) ? (word as Intent) : 'question';
}

const RESPONDER_SYSTEM: Record<Intent, string> = {
  question: 'Answer the question accurately and concisely.',
  task: 'Carry out the task; show the result, then any caveats.',
  feedback: 'Acknowledge the feedback and say what you will do with it.',
  smalltalk: 'Reply briefly and warmly.',
};

export function responderSystem(intent: Intent): string {
  return RESPONDER_SYSTEM[intent];
}
