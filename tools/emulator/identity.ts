/**
 * Who a token is, as GitHub sees it: a person (personal token, `type: "User"`) or a GitHub App
 * installation (`SLUG[bot]`, `type: "Bot"`), and which account a commit email belongs to.
 *
 * Sources: an App's identity on PRs, comments and commits is `SLUG[bot]` with `type: "Bot"` and
 * `html_url` https://github.com/apps/SLUG (@octokit/webhooks-examples `check_suite[7].sender`,
 * research sheet §2); GitHub links a commit to an account by the email in the commit ("GitHub
 * uses the email address in the commit header to link the commit to a GitHub user", github/docs
 * why-are-my-commits-linked-to-the-wrong-user); noreply emails are `ID+LOGIN@users.noreply.github.com`
 * (@octokit/fixtures create-file, webhooks-examples `check_suite[5].head_commit`).
 */
import { stableId } from './shapes.js';

/** An App as a config names it: just the slug, or the slug with its ids. */
export type AppConfig =
  | string
  | {
      readonly slug: string;
      /** The App's id (check runs' `app.id`, `app_id` filters). @default a stable id from the slug */
      readonly id?: number;
      /** The App's display name. @default the slug */
      readonly name?: string;
      /** The user id of `SLUG[bot]` (commit noreply emails, GET /users). @default a stable id */
      readonly botUserId?: number;
    };

export interface App {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly botLogin: string;
  readonly botUserId: number;
}

export interface Identity {
  readonly kind: 'user' | 'app';
  /** A person's login, or `SLUG[bot]` for an App. */
  readonly login: string;
  /** The account id (for an App: its bot user's id, not the App id). */
  readonly userId: number;
  readonly app?: App;
  /**
   * The primary rate-limit bucket: per user for people, per installation for Apps (every token
   * minted for one installation shares it; docs "Rate limits for GitHub Apps").
   */
  readonly bucket: string;
}

/**
 * Well-known Apps whose ids tests rely on. github-actions: App id 15368 (the `Invalid app_id
 * \`15368\`` 403s quoted in research sheet §5) and bot user 41898282 (noreply
 * `41898282+github-actions[bot]@users.noreply.github.com`, webhooks-examples `check_suite[5]`).
 */
const KNOWN_APPS: Record<string, { id: number; name: string; botUserId: number }> = {
  'github-actions': { id: 15368, name: 'GitHub Actions', botUserId: 41898282 },
};

/** GitHub's own committer on merges, web edits and App commits it signs (login `web-flow`). */
export const WEB_FLOW = { login: 'web-flow', id: 19864447, email: 'noreply@github.com', name: 'GitHub' } as const;

export interface IdentityConfig {
  readonly owner: string;
  readonly users?: Readonly<Record<string, string>>;
  readonly apps?: Readonly<Record<string, AppConfig>>;
  /** Extra email → login links (a person's verified emails). */
  readonly emails?: Readonly<Record<string, string>>;
}

export class Identities {
  private readonly byToken = new Map<string, Identity>();
  private readonly byLogin = new Map<string, Identity>();
  private readonly emails = new Map<string, string>();
  /** Without users or apps every token is accepted as the person "stagegate-bot" (the emulator's open mode). */
  readonly open: boolean;

  constructor(config: IdentityConfig) {
    this.open = config.users === undefined && config.apps === undefined;
    this.addLogin(person(config.owner));
    if (this.open) this.addLogin(person('stagegate-bot'));
    for (const [token, login] of Object.entries(config.users ?? {})) {
      const id = login.endsWith('[bot]') ? app(login.slice(0, -'[bot]'.length)) : person(login);
      this.byToken.set(token, id);
      this.addLogin(id);
    }
    for (const [token, spec] of Object.entries(config.apps ?? {})) {
      const id = app(typeof spec === 'string' ? spec : spec.slug, typeof spec === 'string' ? {} : spec);
      this.byToken.set(token, id);
      this.addLogin(id);
    }
    for (const [email, login] of Object.entries(config.emails ?? {})) this.emails.set(email.toLowerCase(), login);
  }

  /** The identity a token authenticates as; undefined = "Bad credentials". */
  forToken(token: string): Identity | undefined {
    if (this.open) return this.byLogin.get('stagegate-bot');
    return this.byToken.get(token);
  }

  /** A known account by login (people, App bot users, the owner). */
  forLogin(login: string): Identity | undefined {
    return this.byLogin.get(login.toLowerCase());
  }

  /** The App with this id or slug, among those configured. */
  appBy(idOrSlug: number | string): App | undefined {
    for (const id of this.byLogin.values()) {
      if (id.app && (id.app.id === idOrSlug || id.app.slug === idOrSlug)) return id.app;
    }
    return undefined;
  }

  /** The name and email GitHub writes into a commit made through the API on behalf of `who`. */
  gitPerson(who: Identity | string, date: Date): { name: string; email: string; date: Date } {
    const login = typeof who === 'string' ? who : who.login;
    const id = typeof who === 'string' ? this.userId(who) : who.userId;
    return { name: login, email: noreply(id, login), date };
  }

  /**
   * The account a commit email links to, as GitHub resolves it: configured emails, then the
   * noreply forms `ID+LOGIN@users.noreply.github.com` and `LOGIN@users.noreply.github.com` of a
   * known account (the ID must be that account's), `noreply@github.com` → web-flow. Unknown → null.
   */
  loginForEmail(email: string): { login: string; id: number } | null {
    const lower = email.toLowerCase();
    if (lower === WEB_FLOW.email) return { login: WEB_FLOW.login, id: WEB_FLOW.id };
    const configured = this.emails.get(lower);
    if (configured) return { login: configured, id: this.forLogin(configured)?.userId ?? stableId(configured) };
    const m = /^(?:(\d+)\+)?([^@]+)@users\.noreply\.github\.com$/.exec(lower);
    if (!m) return null;
    const known = this.forLogin(m[2]!);
    if (!known || (m[1] !== undefined && Number(m[1]) !== known.userId)) return null;
    return { login: known.login, id: known.userId };
  }

  /** The user id shown for a login in user objects. */
  userId(login: string): number {
    if (login === WEB_FLOW.login) return WEB_FLOW.id;
    return this.forLogin(login)?.userId ?? stableId(login);
  }

  private addLogin(id: Identity): void {
    this.byLogin.set(id.login.toLowerCase(), id);
  }
}

export function noreply(userId: number, login: string): string {
  return `${userId}+${login}@users.noreply.github.com`;
}

function person(login: string): Identity {
  return { kind: 'user', login, userId: stableId(login), bucket: `user:${login.toLowerCase()}` };
}

function app(slug: string, spec: Exclude<AppConfig, string> | Record<string, never> = {}): Identity {
  const known = KNOWN_APPS[slug];
  const botLogin = `${slug}[bot]`;
  const a: App = {
    id: spec.id ?? known?.id ?? stableId(`app:${slug}`),
    slug,
    name: spec.name ?? known?.name ?? slug,
    botLogin,
    botUserId: spec.botUserId ?? known?.botUserId ?? stableId(botLogin),
  };
  return { kind: 'app', login: botLogin, userId: a.botUserId, app: a, bucket: `installation:${slug}` };
}
