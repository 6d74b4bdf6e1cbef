// Deterministic (seeded) in-memory user directory for the fake Confluence server.
// Only `node:` built-ins / plain JS: must run on Node 18+ without dependencies.

/** The authenticated identity for both accepted credentials. */
export const ADMIN_ACCOUNT_ID = "5b10ac8d82e05b22cc7d4ef5";

/** Account ids and other values of hand-written users that tests rely on. */
export const SPECIAL = Object.freeze({
  /** The current user (`/user/current`), a site/Confluence administrator with a personal space. */
  currentUser: ADMIN_ACCOUNT_ID,
  /** App user whose accountId needs percent-encoding: space & = # + % / é ? ü */
  oddAccountId: "557058:odd &=#+%/ é?ü",
  /** Legacy username of the odd user (for /user/bulk/migration): contains + space & = é */
  oddUsername: "odd.bot+1 &=é",
  /** Member of exactly 250 groups (memberof pagination: 200 + 50). */
  manyGroups: "5c2e4d6f8a0b1c3d5e7f9a1b",
  manyGroupsCount: 250,
  /** Privacy-restricted profile: email "" in User, timeZone null, displayName === publicName. /user/email still returns the real address. */
  hiddenProfile: "5d8f3a2b1c0e9f8a7b6c5d4e",
  hiddenProfileEmail: "quinn.private@example.com",
  /** External collaborator (isExternalCollaborator true), member of no group. */
  externalCollaborator: "60a1b2c3d4e5f60718293a4b",
  /** A plain app (bot) user: accountType "app", email "", no personal space. */
  appUser: "557058:7f3c2a1e-4b5d-4c6e-9f80-a1b2c3d4e5f6",
  /** Never present in the directory. */
  unknownAccountId: "000000000000000000000000",
});

const ALL_REGULAR_GROUPS = [
  "administrators", "atlassian-addons-admin", "confluence-administrators", "confluence-users",
  "site-admins", "trusted-users", "jira-software-users", "jira-admins",
  "jira-servicemanagement-users", "bitbucket-users", "statuspage-users", "opsgenie-users",
  "team-platform", "team-payments", "team-search", "team-mobile",
  "team-web", "team-data", "team-infra", "team-security",
  "engineering", "product-management", "design", "marketing",
  "sales+marketing", "R&D Berlin", "équipe-paris", "team 42 (ops)",
  "support-l1", "support-l2", "hr", "finance",
  "legal", "leadership", "interns-2024", "contractors",
  "release-managers", "qa", "docs-writers", "all-hands",
];
const ADMIN_GROUPS = new Set(["administrators", "confluence-administrators", "site-admins", "jira-admins", "atlassian-addons-admin"]);

const FIRST = ["Mia", "Alana", "John", "Jane", "Zoë", "José", "Łukasz", "Søren", "Ana", "Omar", "Priya", "Chen", "Fatima",
  "Liam", "Noah", "Emma", "Olivia", "Hiroshi", "Ingrid", "Mateo", "Aisha", "Björn", "Chloé", "Dmitri", "Elif", "Femi",
  "Giulia", "Hannah", "Ivan", "Jasmine", "Kofi", "Lena", "Marta", "Nikos", "Oscar", "Paula", "Rahul", "Sofia", "Tomás", "Yuki"];
const LAST = ["Krystof", "Doe", "Müller", "O'Brien", "García", "Nguyen", "Smith", "Kowalski", "Andersen", "Rossi", "Tanaka",
  "Okafor", "Silva", "Novak", "Dubois", "Schmidt", "Johansson", "Khan", "Patel", "Wang", "Ivanova", "Fischer", "López",
  "Brown", "Yılmaz", "Costa", "Haddad", "Moreau", "Kim", "Bauer"];
const APPS = ["Jira Cloud", "Automation for Confluence", "Slack", "Microsoft Teams", "draw.io Diagrams", "Gliffy", "Trello",
  "Zapier", "Opsgenie", "Statuspage", "Lucidchart", "Miro", "Figma for Confluence", "Comala Document Management"];
const ZONES = ["Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney", "Europe/London",
  "Asia/Kolkata", "America/Sao_Paulo", "Africa/Lagos", "Europe/Paris", "Etc/UTC", "Pacific/Auckland"];
const POSITIONS = ["Software Engineer", "Senior Software Engineer", "Product Manager", "Designer", "Engineering Manager",
  "Support Engineer", "Technical Writer", "Data Scientist", "Sales Lead", "Recruiter"];
const DEPARTMENTS = ["Engineering", "Product", "Design", "Support", "Sales", "People", "Finance", "Legal"];
const LOCATIONS = ["Berlin", "Sydney", "San Francisco", "Amsterdam", "Bengaluru", "Austin", "Remote"];

function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Percent-encode for use in a URL path segment, keeping ":" readable as Confluence does. */
export function encodePathSegment(s) {
  return encodeURIComponent(s).replace(/%3A/gi, ":");
}

function asciiSlug(s) {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/ł/g, "l").replace(/Ł/g, "L").replace(/ø/g, "o")
    .replace(/ı/g, "i").toLowerCase().replace(/[^a-z0-9]+/g, "");
}

function byName(a, b) {
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Build the directory.
 * @param {{userCount?: number, seed?: number}} [opts]
 */
/**
 * The legacy username of extra mapping `i` (see `legacyCount`): mostly short ASCII, every tenth
 * about 160 characters long, others non-ASCII (accents, CJK) or with characters that need
 * percent-encoding (space, `+`, `&`, `=`, `%`, `'`).
 */
export function legacyUsername(i) {
  switch (i % 10) {
    case 0:
      return `long.${"abcdefghij".repeat(15)}.${i}`;
    case 1:
      return `jürgen.müller.${i}`;
    case 2:
      return `山田.太郎.${i}`;
    case 3:
      return `o'neil+test &=%${i}`;
    default:
      return `legacy.user${i}`;
  }
}

export function buildDirectory({ userCount = 300, seed = 0xc0ffee, legacyCount = 0 } = {}) {
  const rnd = mulberry32(seed);
  const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
  const hex = (n) => {
    let s = "";
    for (let i = 0; i < n; i++) s += Math.floor(rnd() * 16).toString(16);
    return s;
  };
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[Math.floor(rnd() * 4)]}${hex(3)}-${hex(12)}`;

  // ---- groups: 40 regular + 210 archive groups (so one user can be in 250) ----
  const groups = [];
  for (const name of ALL_REGULAR_GROUPS) groups.push({ id: uuid(), name });
  const archiveCount = SPECIAL.manyGroupsCount - ALL_REGULAR_GROUPS.length;
  for (let i = 1; i <= archiveCount; i++) groups.push({ id: uuid(), name: `archive-project-${String(i).padStart(3, "0")}` });
  groups.sort(byName);
  const groupByName = new Map(groups.map((g) => [g.name, g]));

  const users = [];
  const usedIds = new Set([SPECIAL.unknownAccountId]);
  const usedUsernames = new Set();
  let spaceSeq = 0;
  let keySeq = 0;
  const userKey = () => `ff8080817b0a3c2e017b0a3c${(0x5f0c0000 + ++keySeq).toString(16)}`;

  function addUser(u) {
    const user = {
      accountId: u.accountId,
      accountType: u.accountType ?? "atlassian",
      publicName: u.publicName,
      displayName: u.displayName ?? u.publicName,
      email: u.email ?? "",
      unsafeEmail: u.unsafeEmail ?? u.email ?? "",
      timeZone: u.timeZone === undefined ? null : u.timeZone,
      isExternalCollaborator: !!u.isExternalCollaborator,
      profilePicture: {
        path: `/wiki/aa-avatar/${encodePathSegment(u.accountId)}`,
        width: 48,
        height: 48,
        isDefault: !!u.defaultAvatar,
      },
      username: u.username,
      userKey: u.userKey ?? userKey(),
      details: {
        business: u.business ?? { position: "", department: "", location: "" },
        personal: { phone: "", im: "", website: "", email: u.email ?? "" },
      },
      isAdmin: !!u.isAdmin,
      personalSpace: null,
      groups: [...new Set(u.groups ?? [])].sort((a, b) => byName({ name: a }, { name: b })),
    };
    if (u.personalSpace) {
      spaceSeq++;
      user.personalSpace = {
        id: 1638400 + spaceSeq * 131,
        key: `~${u.accountId}`,
        name: user.displayName,
        homepageId: String(98000 + spaceSeq * 17),
      };
    }
    for (const g of user.groups) if (!groupByName.has(g)) throw new Error(`unknown group ${g}`);
    usedIds.add(user.accountId);
    usedUsernames.add(user.username);
    users.push(user);
    return user;
  }

  // ---- special users ----
  addUser({
    accountId: SPECIAL.currentUser, publicName: "Mia Krystof", email: "admin@example.com", timeZone: "Europe/Berlin",
    username: "admin", userKey: "ff8080817b0a3c2e017b0a3c5f0c0001", isAdmin: true, personalSpace: true,
    business: { position: "Site Administrator", department: "IT", location: "Berlin" },
    groups: ["administrators", "confluence-administrators", "confluence-users", "site-admins", "jira-software-users", "trusted-users"],
  });
  addUser({
    accountId: SPECIAL.oddAccountId, accountType: "app", publicName: "Odd Encoding Bot", email: "",
    unsafeEmail: "odd-encoding-bot@connect.atlassian.com", timeZone: null, username: SPECIAL.oddUsername,
    userKey: "ff8080817b0a3c2e017b0a3c5f0c0002", defaultAvatar: true, groups: ["atlassian-addons-admin"],
  });
  addUser({
    accountId: SPECIAL.manyGroups, publicName: "Morgan Manygroups", email: "morgan.manygroups@example.com",
    timeZone: "America/New_York", username: "mmanygroups", userKey: "ff8080817b0a3c2e017b0a3c5f0c0003", personalSpace: true,
    business: { position: "Program Manager", department: "Product", location: "Austin" },
    groups: groups.map((g) => g.name),
  });
  addUser({
    accountId: SPECIAL.hiddenProfile, publicName: "quinn", displayName: "quinn", email: "",
    unsafeEmail: SPECIAL.hiddenProfileEmail, timeZone: null, username: "qprivate", userKey: "ff8080817b0a3c2e017b0a3c5f0c0004",
    defaultAvatar: true, groups: ["confluence-users", "team-security"],
  });
  addUser({
    accountId: SPECIAL.externalCollaborator, publicName: "Eve External", email: "eve@partner.example.org",
    timeZone: "Europe/London", username: "eexternal", userKey: "ff8080817b0a3c2e017b0a3c5f0c0005",
    isExternalCollaborator: true, groups: [],
  });
  addUser({
    accountId: SPECIAL.appUser, accountType: "app", publicName: "Jira Cloud", email: "",
    unsafeEmail: "jira-cloud@connect.atlassian.com", timeZone: null, username: "addon_jira-cloud",
    userKey: "ff8080817b0a3c2e017b0a3c5f0c0006", groups: ["atlassian-addons-admin"],
  });
  keySeq = 0x10;

  // ---- generated users ----
  const plainGroups = ALL_REGULAR_GROUPS.filter((g) => !ADMIN_GROUPS.has(g) && g !== "confluence-users");
  const prefixes = ["5b", "5c", "5d", "5e", "5f", "60", "61", "62", "63", "70"];
  let n = 0;
  while (users.length < userCount) {
    n++;
    if (n % 20 === 0) {
      // app / bot user
      let accountId;
      do accountId = `557058:${uuid()}`; while (usedIds.has(accountId));
      const app = APPS[(n / 20 - 1) % APPS.length];
      const slug = app.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
      let username = `addon_${slug}`;
      for (let k = 2; usedUsernames.has(username); k++) username = `addon_${slug}-${k}`;
      addUser({
        accountId, accountType: "app", publicName: app, email: "", unsafeEmail: `${username.slice(6)}@connect.atlassian.com`,
        timeZone: null, username, defaultAvatar: rnd() < 0.5, groups: ["atlassian-addons-admin"],
      });
      continue;
    }
    let accountId;
    do accountId = pick(prefixes) + hex(22); while (usedIds.has(accountId));
    const first = pick(FIRST);
    const last = pick(LAST);
    const full = `${first} ${last}`;
    const hidden = rnd() < 0.12;
    const external = !hidden && rnd() < 0.04;
    const nick = asciiSlug(first) + (n % 100);
    const baseUsername = (asciiSlug(first)[0] + asciiSlug(last)).slice(0, 12);
    let username = `${baseUsername}${n % 97}`;
    for (let k = 2; usedUsernames.has(username); k++) username = `${baseUsername}${n % 97}_${k}`;
    const realEmail = `${asciiSlug(first)}.${asciiSlug(last)}${n}@${external ? "partner.example.org" : "example.com"}`;
    const groupsOfUser = [];
    if (!external) {
      groupsOfUser.push("confluence-users");
      const k = Math.floor(rnd() * 6);
      for (let i = 0; i < k; i++) groupsOfUser.push(pick(plainGroups));
      if (rnd() < 0.03) groupsOfUser.push("confluence-administrators");
    }
    addUser({
      accountId,
      publicName: hidden ? nick : full,
      displayName: hidden ? nick : full,
      email: hidden ? "" : realEmail,
      unsafeEmail: realEmail,
      timeZone: hidden || rnd() < 0.08 ? null : pick(ZONES),
      isExternalCollaborator: external,
      username,
      defaultAvatar: rnd() < 0.3,
      personalSpace: !external && rnd() < 0.7,
      business: hidden
        ? { position: "", department: "", location: "" }
        : { position: pick(POSITIONS), department: pick(DEPARTMENTS), location: pick(LOCATIONS) },
      groups: groupsOfUser,
    });
  }

  const byAccountId = new Map(users.map((u) => [u.accountId, u]));
  const byUsername = new Map(users.map((u) => [u.username, u]));
  const byKey = new Map(users.map((u) => [u.userKey, u]));
  // Extra legacy mappings (migration only): username/key -> an existing user's account id, as
  // after a Server -> Cloud migration where many old accounts were merged.
  const legacy = [];
  for (let i = 0; i < legacyCount; i++) {
    const record = {
      username: legacyUsername(i),
      userKey: `8a7f8080${i.toString(16).padStart(24, "0")}`,
      accountId: users[i % users.length].accountId,
    };
    legacy.push(record);
    byUsername.set(record.username, record);
    byKey.set(record.userKey, record);
  }
  /** accountId -> group names, in the order /user/memberof serves them. */
  const memberships = new Map(users.map((u) => [u.accountId, u.groups]));

  return {
    users,
    groups,
    memberships,
    byAccountId,
    byUsername,
    byKey,
    /** The extra legacy mappings ({ username, userKey, accountId }), `legacyCount` of them. */
    legacy,
    currentUser: byAccountId.get(SPECIAL.currentUser),
    /** @returns user object or undefined */
    user: (accountId) => byAccountId.get(accountId),
    /** @returns group objects ({id, name}) in served order, or undefined for an unknown user */
    groupsOf(accountId) {
      const u = byAccountId.get(accountId);
      return u ? u.groups.map((g) => groupByName.get(g)) : undefined;
    },
    groupByName,
  };
}
