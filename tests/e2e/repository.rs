//! The repository stands alone: a user clones it with nothing beside it.

use std::path::{Path, PathBuf};

/// Folders that are not the project's own files.
const NOT_OURS: [&str; 4] = ["target", ".git", "node_modules", "yika-data"];

fn files(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.expect("a directory entry");
        let path = entry.path();
        let name = entry.file_name();
        if NOT_OURS.iter().any(|n| name == *n) {
            continue;
        }
        if entry.file_type().expect("a file type").is_dir() {
            files(&path, found);
        } else {
            found.push(path);
        }
    }
}

#[test]
fn no_file_of_the_project_refers_outside_the_repository() {
    // Goal: no code, test, script or document of the project reads or points at the design
    // folder that sits beside the repository in the team's workplace: a fresh clone has
    // nothing beside it, so whatever the project promises (its GraphQL contract) lives inside.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Spelled in two pieces so that this file does not find itself.
    let outside = format!("{}/{}", "..", "shared");
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(all.len() > 100, "the walk found the project's files");
    let offenders: Vec<String> = all
        .iter()
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap_or_default();
            bytes
                .windows(outside.len())
                .any(|w| w == outside.as_bytes())
        })
        .map(|path| {
            path.strip_prefix(&root)
                .unwrap_or(path)
                .display()
                .to_string()
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "these files refer to {outside}: {offenders:?}"
    );
}
