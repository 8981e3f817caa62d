// The page's code editor: CodeMirror 6, from npm (package.json), bundled by esbuild into
// the site's runner/editor.js when the site is built. runner.js imports it only when the
// reader first presses Edit. Tab indents; Escape then Tab leaves the editor (CodeMirror's
// own rule for keyboard users), and the editor has the label runner.js gives it.
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { EditorView, drawSelection, keymap, lineNumbers } from "@codemirror/view";

// onChange, if given, is called with the text after every change (runner.js keeps it).
export function makeEditor(parent, code, label, onChange) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: code,
      extensions: [
        lineNumbers(), history(), drawSelection(), indentOnInput(), bracketMatching(),
        syntaxHighlighting(defaultHighlightStyle), python(),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.contentAttributes.of({ "aria-label": label }),
        EditorView.updateListener.of((update) => update.docChanged && onChange?.(update.state.doc.toString())),
      ],
    }),
  });
  return {
    get text() { return view.state.doc.toString(); },
    focus() { view.focus(); },
    destroy() { view.destroy(); },
  };
}
