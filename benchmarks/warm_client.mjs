// Warm tool-call latency as a TypeScript host sees it: the official MCP client
// (@modelcontextprotocol/sdk) over stdio, to each server of the plan in turn, in rounds whose
// order rotates. Reads its plan as JSON from argv[2] ({servers: {name: {command, args, env}},
// jobId, rounds, perRound}), prints one {name: [ms, ...]} per round as JSON.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const plan = JSON.parse(process.argv[2]);

async function connect(server) {
  const transport = new StdioClientTransport({ ...server, stderr: "ignore" });
  const client = new Client({ name: "warm-benchmark", version: "1.0.0" });
  await client.connect(transport);
  // As hosts do: the tool list first, so the client checks each result against its schema.
  await client.listTools();
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

const names = Object.keys(plan.servers);
const clients = {};
for (const name of names) {
  clients[name] = await connect(plan.servers[name]);
  await timed(clients[name], 20);
}
const rounds = [];
for (let round = 0; round < plan.rounds; round++) {
  // Rotate which goes first, so all see the same minute of the machine.
  const order = names.slice(round % names.length).concat(names.slice(0, round % names.length));
  const samples = {};
  for (const name of order) {
    samples[name] = await timed(clients[name], plan.perRound);
  }
  rounds.push(samples);
}
for (const name of names) {
  await clients[name].close();
}
console.log(JSON.stringify(rounds));
