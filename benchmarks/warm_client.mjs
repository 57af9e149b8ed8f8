// Warm tool-call latency as a TypeScript host sees it: the official MCP client
// (@modelcontextprotocol/sdk) over stdio, this server and the one-tool floor in alternating
// rounds. Reads its plan as JSON from argv[2], prints the samples (ms) as JSON.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const plan = JSON.parse(process.argv[2]);

async function connect(server) {
  const transport = new StdioClientTransport({ ...server, stderr: "ignore" });
  const client = new Client({ name: "warm-benchmark", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

async function timed(client, calls) {
  const samples = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await client.callTool({ name: "get_data_movement_job", arguments: { job_id: plan.jobId } });
    samples.push(performance.now() - started);
  }
  return samples;
}

const ours = await connect(plan.ours);
const floor = await connect(plan.floor);
await timed(ours, 20);
await timed(floor, 20);
const rounds = [];
for (let round = 0; round < plan.rounds; round++) {
  // Alternate which goes first, so both see the same minute of the machine.
  const oursFirst = round % 2 === 1;
  const first = await timed(oursFirst ? ours : floor, plan.perRound);
  const second = await timed(oursFirst ? floor : ours, plan.perRound);
  rounds.push(oursFirst ? { ours: first, floor: second } : { ours: second, floor: first });
}
await ours.close();
await floor.close();
console.log(JSON.stringify(rounds));
