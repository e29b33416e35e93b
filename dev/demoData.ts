// A small synthetic chat dataset in ultrachat_200k's train_sft shape (prompt, prompt_id, messages),
// deterministic so every demo run uploads the same bytes. Readable on purpose: people look at it.
import { createHash } from 'node:crypto';

const TOPICS = [
  [
    'an Azure ML compute cluster',
    'a managed pool of VMs that scales between a minimum and a maximum node count',
  ],
  ['LoRA fine-tuning', 'training small low-rank adapter matrices instead of every weight of the base model'],
  [
    'a managed online endpoint',
    'an HTTPS scoring URL backed by one or more deployments that Azure runs for you',
  ],
  ['DeepSpeed stage 2', 'sharding optimizer state and gradients across GPUs so larger models fit in memory'],
  [
    'a cosine learning-rate schedule',
    'a learning rate that decays along a cosine curve from its start value',
  ],
  ['an MLflow model', 'a folder with the weights, a signature and the environment needed to serve them'],
  ['Event Grid', 'a push service that delivers events such as "blob created" or "run completed" to webhooks'],
  [
    'Durable Functions',
    'an orchestration framework that checkpoints progress so long workflows survive restarts',
  ],
] as const;

const ASKS = ['What is', 'Can you explain', 'Give me a short description of', 'In one paragraph, what is'];

/** `rows` JSONL lines, newline-terminated. */
export function demoDataset(rows: number): string {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const [topic, definition] = TOPICS[i % TOPICS.length]!;
    const ask = ASKS[Math.floor(i / TOPICS.length) % ASKS.length]!;
    const prompt = `${ask} ${topic}? (example ${i + 1})`;
    const messages = [
      { role: 'user', content: prompt },
      { role: 'assistant', content: `${topic[0]!.toUpperCase()}${topic.slice(1)} is ${definition}.` },
      { role: 'user', content: 'When would I use it?' },
      {
        role: 'assistant',
        content: `Use ${topic} when you want ${definition.split(' ').slice(0, 6).join(' ')}… without managing it by hand.`,
      },
    ];
    const promptId = createHash('sha256').update(prompt).digest('hex');
    lines.push(JSON.stringify({ prompt, prompt_id: promptId, messages }));
  }
  return `${lines.join('\n')}\n`;
}
