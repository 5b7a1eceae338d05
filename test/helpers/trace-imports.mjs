// Preloaded with `node --import`: writes every module URL the process resolved through the ESM
// loader to the file named by KBENCH_TRACE_IMPORTS when it exits (cli-startup.test.ts).
import { writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
port1.unref();
register('./trace-imports-hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });

process.on('exit', () => {
  // The hooks run on their own thread: drain what they posted, synchronously, before writing.
  const urls = [];
  for (let message = receiveMessageOnPort(port1); message; message = receiveMessageOnPort(port1)) urls.push(message.message);
  writeFileSync(process.env.KBENCH_TRACE_IMPORTS, urls.join('\n'));
});
