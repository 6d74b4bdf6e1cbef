// The Forge function `resolver` of manifest.yml (handler: index.handler): the host-specific part.
import Resolver from "@forge/resolver";
import api, { assumeTrustedRoute } from "@forge/api";
import { defineResolvers } from "./resolver.js";

export const handler = defineResolvers(new Resolver(), { api, assumeTrustedRoute }).getDefinitions();
