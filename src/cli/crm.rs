//! `fanwatch crm import FILE.csv`: links social authors to customer records. The whole file
//! is checked before the database is touched; one bad line and nothing is imported.

use std::io::Write;
use std::path::Path;

use crate::crm::{CsvErrors, CustomerRecord, HEADER, parse_customers};
use crate::storage::Store;

use super::CliError;

/// Reads and checks `path`. A missing file or a wrong header is a usage error (exit 2); bad
/// lines are each printed to stderr as `line N: ...` and make a runtime error (exit 1).
pub fn read(path: &Path) -> Result<Vec<CustomerRecord>, CliError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    match parse_customers(std::io::BufReader::new(file)) {
        Ok(records) => Ok(records),
        Err(CsvErrors::Read(e)) => Err(CliError::Usage(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
        Err(CsvErrors::Header { found }) => Err(CliError::Usage(format!(
            "{}: the first line must be the header `{}`, found `{found}`",
            path.display(),
            HEADER.join(",")
        ))),
        Err(CsvErrors::Lines(lines)) => {
            let mut err = std::io::stderr().lock();
            for line in &lines {
                // Nothing useful to do if stderr is gone; the exit code still says it failed.
                let _ = writeln!(err, "{line}");
            }
            let bad: std::collections::BTreeSet<u64> = lines.iter().map(|l| l.line).collect();
            Err(CliError::Runtime(anyhow::anyhow!(
                "{}: {} bad line(s), nothing imported",
                path.display(),
                bad.len()
            )))
        }
    }
}

/// Stores checked records in one transaction and prints what was imported.
pub async fn import(store: &Store, records: &[CustomerRecord]) -> Result<(), CliError> {
    let report = store.import_customers(records).await?;
    println!(
        "imported {} customers, {} handles",
        report.customers, report.handles
    );
    Ok(())
}
