//! The `yika` binary: see `yika --help`.

/// mimalloc instead of the C library's allocator: the views' fold and the request path allocate
/// and free many small values per event, and glibc's allocator was a third of the in-memory
/// fold's time (decision 0037, docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    yika_api::cli::main()
}
