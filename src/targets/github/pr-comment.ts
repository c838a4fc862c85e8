// One pull request comment per report, updated in place on every push (found by a hidden marker)
// instead of a new comment each time: the IaC previews and the cost difference each keep their own.
import { action, type Step } from "./workflow.js";

/** Pull requests from forks get no OIDC token and no secrets: their previews and comments are skipped. */
export const SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository";

/** The script reads the report's path and the marker from env, so one script serves every report. */
const COMMENT_SCRIPT = [
  'const fs = require("fs");',
  "const marker = `<!-- ${process.env.MARKER} -->`;",
  'const report = fs.existsSync(process.env.REPORT) ? fs.readFileSync(process.env.REPORT, "utf8") : "No report: an earlier step failed, see the job log.";',
  "const body = `${marker}\\n${report}`;",
  "const { owner, repo } = context.repo;",
  "const issue_number = context.issue.number;",
  "const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number });",
  'const previous = comments.find((c) => c.user?.type === "Bot" && c.body?.includes(marker));',
  "if (previous) await github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body });",
  "else await github.rest.issues.createComment({ owner, repo, issue_number, body });",
].join("\n");

/**
 * Posts the Markdown file `report` as the pull request's comment named `marker`. A fork's token
 * cannot comment: its pull request gets the job's log and summary only.
 */
export function pullRequestComment(marker: string, report: string): Step {
  return action(
    "Post the report on the pull request",
    "actions/github-script",
    { script: COMMENT_SCRIPT },
    { if: `always() && ${SAME_REPO}`, env: { REPORT: report, MARKER: marker } },
  );
}
