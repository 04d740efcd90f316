/**
 * Who may do what in the repository: each account's role, and
 * `GET /repos/{owner}/{repo}/collaborators/{username}/permission`.
 *
 * Sources: OA `repos/get-collaborator-permission-level` ("The `permission` attribute provides the
 * legacy base roles of `admin`, `write`, `read`, and `none`, where the `maintain` role is mapped to
 * `write` and the `triage` role is mapped to `read`. The `role_name` attribute provides the name of
 * the assigned role"), schema `repository-collaborator-permission` (`user` a `nullable-collaborator`
 * with its own `permissions` and `role_name`); a caller without push access gets 403 "Must have
 * push access to view collaborator permission." (yegor256/rultor#1407), an App needs only
 * metadata:read (step-security/secure-repo#595). Required approving reviews count only from
 * "reviewers with write access" (GitHub's 405 text, rules.ts), and "The people you choose as code
 * owners must have write permissions for the repository." (docs.github.com, articles/about-code-owners).
 */
import { ApiError, DOCS, type Route } from './http.js';
import type { Identity } from './identity.js';
import type { RepoState } from './state.js';

/** A repository role as a config names it; `none` is an account that is no collaborator. */
export type PermissionLevel = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';
export const PERMISSION_LEVELS: readonly PermissionLevel[] = ['admin', 'maintain', 'write', 'triage', 'read', 'none'];

/** The legacy base role GitHub reports in `permission`. */
export type BasePermission = 'admin' | 'write' | 'read' | 'none';

const BASE: Record<PermissionLevel, BasePermission> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read',
  none: 'none',
};

/** The role of `login`: the owner is admin; then `permissions`, then `admins`; other known accounts write. */
export function roleOf(s: RepoState, login: string): PermissionLevel | undefined {
  const lower = login.toLowerCase();
  if (lower === s.owner.toLowerCase()) return 'admin';
  const configured = s.settings.permissions.get(lower);
  if (configured) return configured;
  const known = s.shapes.identities.forLogin(login);
  const admin = s.settings.admins.some(
    (a) => a.toLowerCase() === lower || (known?.app !== undefined && a === known.app.slug),
  );
  if (admin) return 'admin';
  return known ? 'write' : undefined;
}

/** Whether `login` has write access or more (what an approving review needs to count). */
export function canWrite(s: RepoState, login: string): boolean {
  const role = roleOf(s, login);
  return role !== undefined && (BASE[role] === 'write' || BASE[role] === 'admin');
}

function callerMayAsk(s: RepoState, who: Identity): boolean {
  return who.kind === 'app' || canWrite(s, who.login);
}

export function permissionRoutes(s: RepoState): Route[] {
  return [
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/collaborators/{username}/permission',
      handler: (ctx) => {
        const docs = `${DOCS}/collaborators/collaborators#get-repository-permissions-for-a-user`;
        if (!callerMayAsk(s, ctx.identity))
          throw new ApiError(403, 'Must have push access to view collaborator permission.', docs);
        const role = roleOf(s, ctx.params.username);
        // An account nobody knows does not exist: 404, as GET /users/{username} (OA lists 404).
        if (role === undefined) throw new ApiError(404, 'Not Found', docs);
        const known = s.shapes.identities.forLogin(ctx.params.username);
        const login = known?.login ?? ctx.params.username;
        const base = BASE[role];
        const flags = {
          admin: base === 'admin',
          maintain: role === 'admin' || role === 'maintain',
          push: base === 'admin' || base === 'write',
          triage: base !== 'none' && role !== 'read',
          pull: base !== 'none',
        };
        return {
          status: 200,
          body: {
            permission: base,
            role_name: role,
            user: { ...s.shapes.user(login), permissions: flags, role_name: role },
          },
        };
      },
    },
  ];
}
