// Client and call options (issue 3): the constructor accepts the retry and timeout forms and refuses bad
// values, call options are checked before anything is sent. Parameter validation per operation is in
// errors.test.mjs (invalidArgument, through both loaders).
//
//   node --test js-tests/params.test.mjs

import { describe } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { ConfluenceClient } from "../pkg/node/index.mjs";
import { AUTH, FAST, fake, ftest, client, someUser, expectFailure, nextCallWorks } from "./kit.mjs";

describe("options", () => {
  ftest("retry and timeout are accepted by the constructor; bad values are invalidArgument", async () => {
    for (const retry of [false, {}, { maxRetries: 0 }, FAST]) {
      new ConfluenceClient({ baseUrl: fake.url, auth: AUTH, retry });
    }
    for (const timeout of [false, 1, 300, 30000]) {
      new ConfluenceClient({ baseUrl: fake.url, auth: AUTH, timeout });
    }
    for (const bad of [{ retry: { maxRetries: -1 } }, { retry: { maxRetries: "3" } }, { retry: true }, { timeout: -5 }, { timeout: "300" }, { retry: { retries: 3 } }]) {
      await expectFailure(`constructor ${JSON.stringify(bad)}`, () => new ConfluenceClient({ baseUrl: fake.url, auth: AUTH, ...bad }), {
        kind: "invalidArgument",
        status: 0,
      });
    }
    assert.equal(fake.requests.length, 0);
  });

  ftest("bad call options are invalidArgument and send nothing (attempts 0)", async () => {
    const c = client();
    const u = someUser();
    for (const bad of [{ signal: "no" }, { signal: {} }, { unknown: true }, 5]) {
      await expectFailure(`call options ${inspect(bad)}`, () => c.getUser({ accountId: u.accountId }, bad), { kind: "invalidArgument", status: 0, attempts: 0 });
    }
    assert.equal(fake.requests.length, 0);
    await nextCallWorks(c);
  });
});
