// xterm.js writes its computed rules (cell sizes, theme colours, scrollbar)
// into style elements it creates at run time. The server's CSP
// (style-src 'self') refuses inline style sheets and reports every attempt,
// so the build (vite.config.ts, xtermCspPlugin) rewrites xterm's three
// style-element creations into cspStyleElement(document): an inert element
// whose textContent goes into a constructed stylesheet adopted by the
// document. The CSSOM is not inline style: CSP allows it.

type StyleDoc = Document & { adoptedStyleSheets: CSSStyleSheet[] }

export function cspStyleElement(doc: Document): HTMLElement {
  const d = doc as StyleDoc
  const el = doc.createElement('breeze-style')
  el.hidden = true
  let sheet: CSSStyleSheet | null = null
  try {
    const Sheet = (doc.defaultView ?? window).CSSStyleSheet
    sheet = new Sheet()
    d.adoptedStyleSheets = [...d.adoptedStyleSheets, sheet]
  } catch {
    sheet = null // no constructable stylesheets: the terminal works, less styled
  }
  let text = ''
  Object.defineProperty(el, 'textContent', {
    configurable: true,
    get: () => text,
    set: (v: unknown) => {
      text = v === null || v === undefined ? '' : String(v)
      try {
        sheet?.replaceSync(text)
      } catch {
        // a rule the browser rejects: keep the previous ones
      }
    },
  })
  const remove = el.remove.bind(el)
  el.remove = () => {
    if (sheet) {
      const s = sheet
      d.adoptedStyleSheets = d.adoptedStyleSheets.filter((x) => x !== s)
      sheet = null
    }
    remove()
  }
  return el
}

/**
 * xterm's DOM renderer also sets style attributes for true colours
 * (a string written to the style attribute), refused the same way; the build routes them
 * through the element's CSSOM declaration instead.
 */
export function cspAddStyle(el: HTMLElement, decl: string): void {
  el.style.cssText += `${decl};`
}
