// The page's code editor: CodeMirror 6, from npm (package.json), bundled by esbuild into
// the site's runner/editor.js when the site is built. runner.js imports it only when the
// reader first presses Edit. Tab indents; Escape then Tab leaves the editor (CodeMirror's
// own rule for keyboard users), which a line under the editor says, and the editor has the
// label runner.js gives it. In the site's dark scheme it is dark too (One Dark's editor,
// from npm, with the colours of the page's own dark code blocks: One Dark's names and
// comments are under 4.5:1 on that background), and it follows the reader's switch.
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { bracketMatching, HighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { Compartment, EditorState } from "@codemirror/state";
import { oneDarkTheme } from "@codemirror/theme-one-dark";
import { EditorView, drawSelection, keymap, lineNumbers } from "@codemirror/view";
import { tags as t } from "@lezer/highlight";

let made = 0;  // for the ids of the hints

// The colours of the page's code blocks (docs/stylesheets/extra.css), in each scheme,
// each at least 5:1 on the editor's background (CodeMirror's default light style has
// #e40 at 3.5:1, One Dark's names and comments are under 4.5:1).
function colours([keyword, plain, string, number, call, kind, invalid]) {
  return syntaxHighlighting(HighlightStyle.define([
    { tag: t.keyword, color: keyword },
    { tag: [t.comment, t.docString], color: plain, fontStyle: "italic" },
    { tag: [t.string, t.special(t.string)], color: string },
    { tag: [t.number, t.bool, t.null, t.atom], color: number },
    { tag: [t.function(t.variableName), t.function(t.propertyName)], color: call },
    { tag: [t.className, t.typeName, t.self], color: kind },
    { tag: [t.operator, t.punctuation, t.bracket], color: plain },
    { tag: t.invalid, color: invalid },
  ]));
}
const light = colours(["#2e5db3", "#5c5c5c", "#1a7346", "#b71c1c", "#9c3aae", "#5b45c9", "#c2185b"]);
const darkColours = colours(["#8fb0f0", "#b4b8c2", "#5fcf8f", "#f09080", "#d99ae4", "#b3a8ee", "#f48fb1"]);
const dark = () => document.body.getAttribute("data-md-color-scheme") === "slate";
const look = () => (dark() ? [oneDarkTheme, darkColours] : light);

// onChange, if given, is called with the text after every change (runner.js keeps it).
export function makeEditor(parent, code, label, onChange) {
  const hint = document.createElement("p");
  hint.className = "runner-editor-hint";
  hint.id = `runner-editor-hint-${++made}`;
  hint.textContent = "Tab indents. To leave the editor, press Escape, then Tab.";
  const scheme = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: code,
      extensions: [
        lineNumbers(), history(), drawSelection(), indentOnInput(), bracketMatching(),
        scheme.of(look()), python(),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.contentAttributes.of({ "aria-label": label, "aria-describedby": hint.id }),
        EditorView.updateListener.of((update) => update.docChanged && onChange?.(update.state.doc.toString())),
      ],
    }),
  });
  parent.append(hint);
  const watch = new MutationObserver(() => view.dispatch({ effects: scheme.reconfigure(look()) }));
  watch.observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  return {
    get text() { return view.state.doc.toString(); },
    focus() { view.focus(); },
    destroy() { watch.disconnect(); view.destroy(); },
  };
}
