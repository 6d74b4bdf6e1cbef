// The fake Confluence for the benchmark, run in a worker thread of the benchmark's process: the
// fake's own CPU work (building and serialising 200-user bodies) then runs beside the contenders
// instead of on their event loop, as a remote server's would. The benchmark talks to it through
// startFakeInWorker() below; the worker side is the `isMainThread === false` branch.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

import { startFakeConfluence } from "../fake-server/server.mjs";

if (!isMainThread && workerData?.benchFake) {
  const fake = await startFakeConfluence({ port: 0, userCount: workerData.userCount, latencyMs: 0 });
  const users = fake.directory.users.map((u) => ({ accountId: u.accountId, personalSpace: Boolean(u.personalSpace), groups: u.groups.length }));
  const ops = {
    reset: () => fake.reset(),
    setLatency: (ms) => {
      fake.latencyMs = ms;
    },
    // What the benchmark checks: the URL of each request and how many ids its accountId held.
    requests: () =>
      fake.requests.map((r) => ({ url: r.url, path: r.path, ids: r.query.accountId ? r.query.accountId[0].split(",").length : 0 })),
    enqueue: (item) => {
      fake.enqueue(item);
    },
    close: () => fake.close(),
  };
  parentPort.on("message", async ({ id, op, arg }) => {
    try {
      parentPort.postMessage({ id, value: await ops[op](arg) });
    } catch (e) {
      parentPort.postMessage({ id, error: String(e?.stack ?? e) });
    }
  });
  parentPort.postMessage({ ready: true, url: fake.url, users });
}

/**
 * Starts the fake in a worker thread. Resolves with { url, users: [{accountId, personalSpace}],
 * reset(), setLatency(ms), requests(), enqueue(item), close() }, each method async.
 */
export function startFakeInWorker({ userCount }) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { benchFake: true, userCount } });
  let seq = 0;
  const pending = new Map();
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.on("message", (msg) => {
      if (msg.ready) {
        const call = (op, arg) =>
          new Promise((res, rej) => {
            const id = ++seq;
            pending.set(id, { res, rej });
            worker.postMessage({ id, op, arg });
          });
        resolve({
          url: msg.url,
          users: msg.users,
          reset: () => call("reset"),
          setLatency: (ms) => call("setLatency", ms),
          requests: () => call("requests"),
          enqueue: (item) => call("enqueue", item),
          close: async () => {
            await call("close");
            await worker.terminate();
          },
        });
        return;
      }
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p.rej(new Error(msg.error));
      else p.res(msg.value);
    });
  });
}

/** The same interface with the fake on the calling thread (bench.mjs --fake-inline). */
export async function startFakeInline({ userCount }) {
  const fake = await startFakeConfluence({ port: 0, userCount, latencyMs: 0 });
  return {
    url: fake.url,
    users: fake.directory.users.map((u) => ({ accountId: u.accountId, personalSpace: Boolean(u.personalSpace), groups: u.groups.length })),
    reset: async () => fake.reset(),
    setLatency: async (ms) => {
      fake.latencyMs = ms;
    },
    requests: async () =>
      fake.requests.map((r) => ({ url: r.url, path: r.path, ids: r.query.accountId ? r.query.accountId[0].split(",").length : 0 })),
    enqueue: async (item) => {
      fake.enqueue(item);
    },
    close: () => fake.close(),
  };
}
