/**
 * The cross-field rules of a stage's `approval` (README "People in the loop", docs/design.md §4):
 * a mapping names exactly one source of approvers, and a team once. The schema (schema.ts) already
 * checked each field's shape.
 */
type Rec = Record<string, unknown>;
type Add = (path: (string | number)[], message: string) => void;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

export function approvalRules(spec: Rec, add: Add): void {
  const stages = Array.isArray(spec.stages) ? spec.stages : [];
  stages.forEach((raw, index) => {
    if (!isRecord(raw) || raw.approval === undefined) return;
    const at = ['stages', index, 'approval'];
    if (index === 0)
      add(
        at,
        'the first stage goes live with the intent itself, not through a stage PR; ask for the approval on a later stage',
      );
    if (!isRecord(raw.approval)) return;
    const a = raw.approval;
    if (a.codeowners !== undefined && a.teams !== undefined)
      add(at, 'names both codeowners and teams; choose one (two stages can ask for one each)');
    else if (a.codeowners === undefined && a.teams === undefined)
      add(at, 'must name who approves: codeowners: true or teams: [org/team, …]');
    if (Array.isArray(a.teams)) {
      const seen = new Set<string>();
      a.teams.forEach((t, i) => {
        if (typeof t !== 'string') return;
        if (seen.has(t.toLowerCase())) add([...at, 'teams', i], `team ${JSON.stringify(t)} is listed twice`);
        seen.add(t.toLowerCase());
      });
    }
  });
}
