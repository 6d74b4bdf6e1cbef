// The test's host for the @forge/bridge page: what the Atlassian product provides around a Custom UI
// iframe. callBridge('fetchProduct', payload) sends payload.restPath to the fake with the site's
// credentials and answers in the bridge's shape ({ body, headers, status, statusText }).
globalThis.__bridgeCalls = [];
globalThis.__bridge = {
  async callBridge(name, payload) {
    const headers = Object.fromEntries(payload?.fetchRequestInit?.headers ?? []);
    globalThis.__bridgeCalls.push({ name, product: payload?.product, restPath: payload?.restPath, method: payload?.fetchRequestInit?.method ?? "GET", headers: { ...headers } });
    if (name !== "fetchProduct" || payload.product !== "confluence") throw new Error(`host: unexpected bridge call ${name}`);
    const config = await (await fetch(new URL("config.json", document.baseURI))).json();
    // The product consumes X-Atlassian-Token itself (it skips its XSRF check); the fake's CORS would refuse it.
    delete headers["x-atlassian-token"];
    headers.Authorization = "Basic " + btoa(`${config.credentials.email}:${config.credentials.apiToken}`);
    const response = await fetch(config.fakeUrl + payload.restPath, { method: payload.fetchRequestInit.method ?? "GET", headers });
    return { body: await response.text(), headers: Object.fromEntries(response.headers), status: response.status, statusText: response.statusText };
  },
};
