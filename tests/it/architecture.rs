//! The source tree's shape, checked on the real `src/`: no import cycle between files, no
//! `Result<_, String>`, no function longer than a reader can hold. `docs/architecture.md`
//! says why each matters; this keeps them true as the code grows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::spanned::Spanned;
use syn::visit::Visit;

/// Longer than this, a function is split into named parts (architecture.md, "Style").
const LONGEST_FUNCTION: usize = 150;

type ModPath = Vec<String>;

/// One source file of the library, parsed.
struct SourceFile {
    file: PathBuf,
    module: ModPath,
    ast: syn::File,
}

/// What a file declares at its top level, to resolve paths that name it.
#[derive(Default)]
struct Declared {
    /// `mod x;` and inline non-test `mod x { }` children.
    children: BTreeSet<String>,
    /// `pub use a::b::X [as Y]`: the name Y it exports and the path it points at.
    reexports: BTreeMap<String, Vec<String>>,
}

fn library_files() -> Vec<SourceFile> {
    let src = crate::common::repo().join("src");
    let mut files = Vec::new();
    collect(&src, &src, &mut files);
    files.sort_by(|a, b| a.file.cmp(&b.file));
    files
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("src/main.rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            let ast = syn::parse_file(&text)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
            let module = module_of(root, &path);
            out.push(SourceFile {
                file: path,
                module,
                ast,
            });
        }
    }
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are module `a::b`; `src/lib.rs` is the crate root.
fn module_of(root: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: ModPath = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("test")
            || (a.path().is_ident("cfg")
                && a.parse_args::<syn::Meta>()
                    .is_ok_and(|m| m.path().is_ident("test")))
    })
}

fn declared(file: &syn::File) -> Declared {
    let mut d = Declared::default();
    for item in &file.items {
        match item {
            syn::Item::Mod(m) if !is_test_only(&m.attrs) => {
                d.children.insert(m.ident.to_string());
            }
            syn::Item::Use(u) if !matches!(u.vis, syn::Visibility::Inherited) => {
                let mut leaves = Vec::new();
                use_leaves(&u.tree, Vec::new(), &mut leaves);
                for (path, name) in leaves {
                    if let Some(name) = name {
                        d.reexports.insert(name, path);
                    }
                }
            }
            _ => {}
        }
    }
    d
}

/// Every path a `use` tree names, with the name it binds (None for globs).
fn use_leaves(
    tree: &syn::UseTree,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let with = |s: &syn::Ident| {
        let mut p = prefix.clone();
        p.push(s.to_string());
        p
    };
    match tree {
        syn::UseTree::Path(p) => use_leaves(&p.tree, with(&p.ident), out),
        syn::UseTree::Name(n) if n.ident == "self" => {
            let name = prefix.last().cloned();
            out.push((prefix, name));
        }
        syn::UseTree::Name(n) => out.push((with(&n.ident), Some(n.ident.to_string()))),
        syn::UseTree::Rename(r) => out.push((with(&r.ident), Some(r.rename.to_string()))),
        syn::UseTree::Glob(_) => out.push((prefix, None)),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_leaves(t, prefix.clone(), out);
            }
        }
    }
}

/// The module graph: files, what each declares, and which file each path lands in.
struct Crate {
    files: BTreeMap<ModPath, Declared>,
}

impl Crate {
    /// Makes a path written in `from` absolute: `crate::`, `self::`, `super::`, or a child
    /// module's name. Paths through anything else (std, other crates, local names) are None.
    fn absolute(&self, from: &ModPath, path: &[String]) -> Option<ModPath> {
        let (first, rest) = path.split_first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" => from.clone(),
            "super" => from[..from.len().checked_sub(1)?].to_vec(),
            name if self.files.get(from)?.children.contains(name) => {
                let mut b = from.clone();
                b.push(name.to_string());
                b
            }
            _ => return None,
        };
        let mut rest = rest.iter().peekable();
        while rest.peek().is_some_and(|s| *s == "super") {
            base.pop();
            rest.next();
        }
        base.extend(rest.cloned());
        Some(base)
    }

    /// The file an absolute path lands in: the longest module prefix that is a file, followed
    /// through that file's `pub use` re-exports to where the item is defined.
    fn file_of(&self, path: &ModPath, depth: usize) -> Option<ModPath> {
        let split = (0..=path.len())
            .rev()
            .find(|&i| self.files.contains_key(&path[..i]))?;
        let module = path[..split].to_vec();
        let Some(item) = path.get(split) else {
            return Some(module);
        };
        let target = self.files[&module].reexports.get(item);
        match target.and_then(|t| self.absolute(&module, t)) {
            Some(mut abs) if depth < 8 => {
                abs.extend(path[split + 1..].iter().cloned());
                self.file_of(&abs, depth + 1).or(Some(module))
            }
            _ => Some(module),
        }
    }
}

/// Collects every path a file names: `use` trees and paths in code, outside test modules.
struct PathsNamed {
    paths: Vec<Vec<String>>,
}

impl<'ast> Visit<'ast> for PathsNamed {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_only(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_test_only(&f.attrs) {
            syn::visit::visit_item_fn(self, f);
        }
    }
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        use_leaves(&u.tree, Vec::new(), &mut leaves);
        self.paths.extend(leaves.into_iter().map(|(p, _)| p));
    }
    /// `pub(super)` names a scope, not a dependency.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}
    fn visit_path(&mut self, p: &'ast syn::Path) {
        self.paths
            .push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, p);
    }
}

/// Each file's imports: the files it names, each with the first path that named it.
type Graph = BTreeMap<ModPath, BTreeMap<ModPath, String>>;

fn module_graph(files: &[SourceFile]) -> Graph {
    let krate = Crate {
        files: files
            .iter()
            .map(|f| (f.module.clone(), declared(&f.ast)))
            .collect(),
    };
    let mut graph = BTreeMap::new();
    for f in files {
        let mut named = PathsNamed { paths: Vec::new() };
        named.visit_file(&f.ast);
        let mut edges = BTreeMap::new();
        for p in &named.paths {
            let target = krate
                .absolute(&f.module, p)
                .and_then(|a| krate.file_of(&a, 0));
            if let Some(m) = target.filter(|m| *m != f.module) {
                edges.entry(m).or_insert_with(|| p.join("::"));
            }
        }
        graph.insert(f.module.clone(), edges);
    }
    graph
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(graph: &Graph) -> Vec<Vec<ModPath>> {
    struct Tarjan<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g ModPath, (usize, usize)>,
        stack: Vec<&'g ModPath>,
        next: usize,
        found: Vec<Vec<ModPath>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g ModPath) {
            self.index.insert(v, (self.next, self.next));
            self.next += 1;
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flat_map(|e| e.keys()) {
                let low = match self.index.get(w) {
                    None => {
                        self.visit(w);
                        self.index[w].1
                    }
                    Some(&(i, _)) if self.stack.contains(&w) => i,
                    Some(_) => continue,
                };
                let entry = self.index.get_mut(v).unwrap();
                entry.1 = entry.1.min(low);
            }
            let (i, low) = self.index[v];
            if i == low {
                let at = self.stack.iter().rposition(|x| *x == v).unwrap();
                let component: Vec<ModPath> = self.stack.drain(at..).cloned().collect();
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.found
}

fn name(m: &ModPath) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let graph = module_graph(&library_files());
    let found = cycles(&graph);
    let described: Vec<String> = found
        .iter()
        .map(|c| {
            let members: BTreeSet<&ModPath> = c.iter().collect();
            let edges: Vec<String> = c
                .iter()
                .flat_map(|a| {
                    graph[a]
                        .iter()
                        .filter(|(b, _)| members.contains(b))
                        .map(move |(b, via)| format!("{} -> {} ({via})", name(a), name(b)))
                })
                .collect();
            edges.join("\n  ")
        })
        .collect();
    assert!(
        found.is_empty(),
        "{} import cycle(s), each edge with the path that makes it:\n  {}",
        found.len(),
        described.join("\n\n  ")
    );
}

#[test]
fn the_cycle_finder_finds_a_cycle_and_passes_a_chain() {
    let m = |s: &str| -> ModPath { s.split("::").map(String::from).collect() };
    let to = |s: &str| BTreeMap::from([(m(s), String::new())]);
    let chain: Graph = BTreeMap::from([
        (m("a"), to("b")),
        (m("b"), to("c")),
        (m("c"), BTreeMap::new()),
    ]);
    assert!(cycles(&chain).is_empty());
    let mut looped = chain.clone();
    looped.insert(m("c"), to("a"));
    assert_eq!(cycles(&looped).len(), 1);
    assert_eq!(cycles(&looped)[0].len(), 3);
}

#[test]
fn a_reexport_resolves_to_the_file_that_defines_the_item() {
    let parse = |s: &str| syn::parse_file(s).unwrap();
    let files = BTreeMap::from([
        (vec![], declared(&parse("mod report;"))),
        (
            vec!["report".to_string()],
            declared(&parse("mod format; pub use format::Format;")),
        ),
        (vec!["report".into(), "format".into()], Declared::default()),
    ]);
    let krate = Crate { files };
    let path: Vec<String> = ["crate", "report", "Format"].map(String::from).to_vec();
    let abs = krate.absolute(&vec!["settings".into()], &path).unwrap();
    assert_eq!(
        krate.file_of(&abs, 0),
        Some(vec!["report".into(), "format".into()])
    );
}

/// `Result<T, String>`: an error a caller cannot match on and a report cannot place.
struct StringErrors {
    file: PathBuf,
    found: Vec<String>,
}

impl<'ast> Visit<'ast> for StringErrors {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_only(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }
    fn visit_type_path(&mut self, t: &'ast syn::TypePath) {
        let last = t.path.segments.last();
        if let Some(seg) = last.filter(|s| s.ident == "Result") {
            if let syn::PathArguments::AngleBracketed(args) = &seg.arguments {
                let error = args.args.iter().nth(1);
                if let Some(syn::GenericArgument::Type(syn::Type::Path(e))) = error {
                    if e.path.is_ident("String") {
                        let line = t.span().start().line;
                        self.found.push(format!("{}:{line}", self.file.display()));
                    }
                }
            }
        }
        syn::visit::visit_type_path(self, t);
    }
}

/// What a visitor made for each library file found, every file's findings in order.
fn found_by<V: for<'ast> Visit<'ast>>(
    make: impl Fn(PathBuf) -> V,
    found: impl Fn(V) -> Vec<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for f in library_files() {
        let mut v = make(f.file.clone());
        v.visit_file(&f.ast);
        out.extend(found(v));
    }
    out
}

#[test]
fn no_function_returns_its_error_as_a_string() {
    let found = found_by(
        |file| StringErrors {
            file,
            found: Vec::new(),
        },
        |v| v.found,
    );
    assert!(
        found.is_empty(),
        "{} Result<_, String>:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// Functions outside test code longer than [`LONGEST_FUNCTION`] lines.
struct LongFunctions {
    file: PathBuf,
    found: Vec<(usize, String)>,
}

impl LongFunctions {
    fn measure(&mut self, name: &syn::Ident, whole: proc_macro2::Span) {
        let lines = whole.end().line - whole.start().line + 1;
        if lines > LONGEST_FUNCTION {
            let at = format!("{}:{} {name}", self.file.display(), whole.start().line);
            self.found.push((lines, at));
        }
    }
}

impl<'ast> Visit<'ast> for LongFunctions {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_only(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_test_only(&f.attrs) {
            self.measure(&f.sig.ident, f.span());
            syn::visit::visit_item_fn(self, f);
        }
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.measure(&f.sig.ident, f.span());
        syn::visit::visit_impl_item_fn(self, f);
    }
    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if f.default.is_some() {
            self.measure(&f.sig.ident, f.span());
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

#[test]
fn no_function_is_longer_than_a_reader_can_hold() {
    let mut found = Vec::new();
    let main = crate::common::repo().join("src/main.rs");
    let main = SourceFile {
        ast: syn::parse_file(&std::fs::read_to_string(&main).unwrap()).unwrap(),
        file: main,
        module: vec!["main".into()],
    };
    for f in library_files().into_iter().chain([main]) {
        let mut v = LongFunctions {
            file: f.file.clone(),
            found: Vec::new(),
        };
        v.visit_file(&f.ast);
        found.extend(v.found);
    }
    found.sort_by(|a, b| b.cmp(a));
    let listed: Vec<String> = found
        .iter()
        .map(|(n, at)| format!("{n} lines: {at}"))
        .collect();
    assert!(
        found.is_empty(),
        "functions over {LONGEST_FUNCTION} lines:\n{}",
        listed.join("\n")
    );
}

/// Calls that hand a sentence built with `format!` to `Said::raised`: wording belongs in a
/// `said/` family, `raised` is for words the run did not write (an error's, a tool's).
struct FormattedRaises {
    file: PathBuf,
    found: Vec<String>,
}

impl<'ast> Visit<'ast> for FormattedRaises {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_only(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        let raised = matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "raised"));
        let formatted = c
            .args
            .iter()
            .any(|a| matches!(a, syn::Expr::Macro(m) if m.mac.path.is_ident("format")));
        if raised && formatted {
            let at = c.span().start();
            self.found
                .push(format!("{}:{}", self.file.display(), at.line));
        }
        syn::visit::visit_expr_call(self, c);
    }
}

#[test]
fn no_stage_raises_a_sentence_it_formatted() {
    let found = found_by(
        |file| FormattedRaises {
            file,
            found: Vec::new(),
        },
        |v| v.found,
    );
    assert!(
        found.is_empty(),
        "Said::raised(format!(…)) — word it in a said/ family instead:\n{}",
        found.join("\n")
    );
}
