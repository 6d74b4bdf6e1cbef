// Stand-ins for the Forge SDKs the samples import. The SDKs are not installed in this project
// (their install pulls native modules); these declare only what the samples use, in the shape
// Forge's documentation gives, and are not checked against the SDKs' own .d.ts files. A file of
// its own with no imports, so that these are ambient module declarations, not augmentations.

declare module "@forge/bridge" {
  export function requestConfluence(restPath: string, fetchOptions?: RequestInit): Promise<Response>;
}

declare module "@forge/api" {
  export interface Route {
    readonly value: string;
  }
  export function assumeTrustedRoute(route: string): Route;
  interface Requester {
    requestConfluence(route: Route, options?: RequestInit): Promise<Response>;
  }
  const api: { asApp(): Requester; asUser(): Requester };
  export default api;
}

declare module "@forge/resolver" {
  export default class Resolver {
    // Forge hands a resolver the frontend's payload untyped.
    define(name: string, fn: (request: { payload: any; context: unknown }) => unknown): this;
    getDefinitions(): unknown;
  }
}
