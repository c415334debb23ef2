//! ONNX Runtime loads from the project's copy (fetched by
//! scripts/fetch-onnxruntime.sh, which the test script runs); a path that
//! was given and cannot be loaded is a clear message, and never a panic.

use std::path::Path;

use cockpit::ai::runtime::{self, Located, Origin};

#[test]
fn a_bad_path_is_reported_then_the_project_library_loads() {
    // One test: ort keeps the first library it loads for the whole process.
    for (path, why) in [
        ("/nonexistent/libonnxruntime.so.1.31.1", "no such file"),
        // A real shared object that is not ONNX Runtime.
        ("/proc/self/exe", "OrtGetApiBase"),
    ] {
        let located = runtime::locate(Some(Path::new(path)), None, None).unwrap();
        assert_eq!(located.origin, Origin::Flag);
        let err = runtime::load(&located).unwrap_err();
        assert!(
            err.starts_with("AI unavailable: cannot load ONNX Runtime from "),
            "{err}"
        );
        assert!(err.contains(path) && err.contains("--onnxruntime"), "{err}");
        assert!(err.contains("scripts/fetch-onnxruntime.sh"), "{err}");
        // dlopen may refuse an executable outright, or find no ORT entry point in it.
        assert!(err.contains(why) || err.contains("dlopen failed"), "{err}");
        assert_eq!(runtime::loaded_path(), None);
    }

    let located = runtime::locate(None, None, None).unwrap_or_else(|e| {
        panic!("{e} (the test script fetches it: ./scripts/fetch-onnxruntime.sh)")
    });
    assert_eq!(located.origin, Origin::Project);
    runtime::load(&located).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        runtime::loaded_path().as_deref(),
        Some(located.path.as_path())
    );
    // ort refuses a runtime older than 1.31 at load; this is the 1.31.1
    // release's commit, as the pinned sha256 of the fetched file promises.
    let info = ort::info();
    assert!(info.contains("git-commit-id=6af1a93"), "{info}");
    // Loading again returns the same environment.
    runtime::load(&Located {
        path: "/elsewhere.so".into(),
        origin: Origin::Flag,
    })
    .unwrap();
}
