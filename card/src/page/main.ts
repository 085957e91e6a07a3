// Entry of the standalone dashboard the sidecar serves at `/`.
// CodeMirror's editor is defined here, in the page's bundle only (the card uses HA's own editor).
import "./cm-editor.js";
import "./forge-page.js";
