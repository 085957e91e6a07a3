// Entry of the standalone dashboard the sidecar serves at `/`.
import "./forge-page.js";
