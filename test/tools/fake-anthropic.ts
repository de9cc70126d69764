/**
 * Runs the test suite's fake Anthropic Messages API for local use:
 *   npm run fake-llm -- [--port 4010] [--latency-ms 0]
 * then start the server against it:
 *   ANTHROPIC_BASE_URL=http://127.0.0.1:4010 ANTHROPIC_API_KEY=fake-key npm start
 * It answers "Echo: <your message>" with fixed usage (classify 300 in / 2 out, respond 1200 in / 340 out).
 */
import { FakeAnthropic } from '../support/fake-anthropic';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

async function main() {
  const fake = await new FakeAnthropic().start(Number(arg('port') ?? 4010));
  fake.behaviour.latencyMs = Number(arg('latency-ms') ?? 0);
  process.stdout.write(`fake Anthropic Messages API on ${fake.url}/v1/messages\n`);
}

void main();
