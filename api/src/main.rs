//! The `yika` binary: see `yika --help`.

fn main() -> std::process::ExitCode {
    yika_api::cli::main()
}
