//! A file the visitor gave, read where it is parsed: in a worker, slice by slice, with
//! `FileReaderSync`. The page posts the `File`/`Blob` handles themselves to the worker
//! (a handle costs nothing to post, and no byte of the file passes through the page),
//! and the core's streaming readers take it as any `Read + Seek`: a zip's directory is
//! read from its end, the ratings member unpacked and parsed as its slices arrive. At no
//! time is more than one slice of a data file held, whatever its size (ml-25m's zip is
//! 250 MB; its `ratings.csv` 678 MB). A saved model is read whole ([`read_model_file`]:
//! its checks need all of it), after its size is checked.

use std::io::{Error, Read, Result, Seek, SeekFrom};

use web_sys::{Blob, FileReaderSync};

/// Bytes read from the browser at a time.
const SLICE: u64 = 1 << 20;

/// One file, read in slices of [`SLICE`] bytes; `on_slice` hears of each slice's
/// length (the progress the page shows).
pub struct BlobReader<'a> {
    blob: Blob,
    reader: FileReaderSync,
    size: u64,
    pos: u64,
    /// The last slice read and where it starts in the file.
    slice: Vec<u8>,
    slice_start: u64,
    on_slice: &'a dyn Fn(u64),
}

impl<'a> BlobReader<'a> {
    /// A reader of `blob` (only in a worker: the page's thread has no `FileReaderSync`).
    pub fn new(blob: Blob, on_slice: &'a dyn Fn(u64)) -> Result<Self> {
        let reader = FileReaderSync::new().map_err(|e| Error::other(super::dom::js_error(e)))?;
        let size = blob.size() as u64;
        Ok(BlobReader { blob, reader, size, pos: 0, slice: Vec::new(), slice_start: 0, on_slice })
    }

    /// Reads the slice that holds `self.pos`.
    fn fill(&mut self) -> Result<()> {
        let end = (self.pos + SLICE).min(self.size);
        let js = |e| Error::other(super::dom::js_error(e));
        let part = self.blob.slice_with_f64_and_f64(self.pos as f64, end as f64).map_err(js)?;
        let buffer = self.reader.read_as_array_buffer(&part).map_err(js)?;
        let array = js_sys::Uint8Array::new(&buffer);
        self.slice.resize(array.length() as usize, 0);
        array.copy_to(&mut self.slice);
        self.slice_start = self.pos;
        (self.on_slice)(self.slice.len() as u64);
        Ok(())
    }
}

impl Read for BlobReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> Result<usize> {
        if self.pos >= self.size || out.is_empty() {
            return Ok(0);
        }
        let held = self.slice_start..self.slice_start + self.slice.len() as u64;
        if !held.contains(&self.pos) {
            self.fill()?;
        }
        let at = (self.pos - self.slice_start) as usize;
        let n = out.len().min(self.slice.len() - at);
        out[..n].copy_from_slice(&self.slice[at..at + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BlobReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> Result<u64> {
        let pos = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| Error::other("a seek before the start of the file"))?;
        Ok(self.pos)
    }
}

/// The bytes of a saved model's file, read in the worker that loads it; a file larger
/// than a load's whole memory budget (no model the page trains comes near it) is refused
/// unread.
pub fn read_model_file(blob: &Blob) -> std::result::Result<Vec<u8>, String> {
    read_whole(blob, "the file", "it is not a model saved here")
}

/// The bytes of a fit's snapshot ([`crate::protocol::FromWorker::Snapshot`]), read in
/// the worker that restores it, within the same budget.
pub fn read_snapshot(blob: &Blob) -> std::result::Result<Vec<u8>, String> {
    read_whole(blob, "the snapshot", "it is not a snapshot of a fit")
}

/// Every byte of `blob` (`what`), refused unread (saying `why not`) above a load's whole
/// memory budget.
fn read_whole(blob: &Blob, what: &str, why_not: &str) -> std::result::Result<Vec<u8>, String> {
    let size = blob.size() as u64;
    let budget = collab_core::data::Budget::STATED.bytes;
    if size > budget {
        return Err(format!(
            "{what} is {} MB, more than the {} MB a model may take: {why_not}",
            size >> 20,
            budget >> 20
        ));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    BlobReader::new(blob.clone(), &|_| {})
        .and_then(|mut reader| reader.read_to_end(&mut bytes))
        .map_err(|e| format!("{what} could not be read: {e}"))?;
    Ok(bytes)
}

/// A `Blob` of `bytes` (a copy in the browser's own store: posting it costs nothing).
pub fn blob_of(bytes: &[u8]) -> std::result::Result<Blob, String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    Blob::new_with_u8_array_sequence(&parts).map_err(super::dom::js_error)
}
