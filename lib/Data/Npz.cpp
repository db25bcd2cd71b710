//===- Npz.cpp - .npz archives and .npy directories -----------------------===//

#include "qcc/Data/TensorFiles.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <zip.h>

using namespace qcc;
using llvm::StringRef;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Reads every `.npy` entry of an archive opened by libzip.
static llvm::Expected<std::vector<NamedTensor>> readArchive(StringRef path,
                                                            zip_t *archive) {
  std::vector<NamedTensor> tensors;
  zip_int64_t entries = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t stat;
    if (zip_stat_index(archive, i, 0, &stat) != 0 ||
        !(stat.valid & ZIP_STAT_NAME) || !(stat.valid & ZIP_STAT_SIZE))
      return fail("'" + path + "': cannot read entry " + llvm::Twine(i));
    StringRef name(stat.name);
    if (!name.consume_back(".npy"))
      continue;
    std::string bytes(stat.size, '\0');
    zip_file_t *file = zip_fopen_index(archive, i, 0);
    zip_int64_t read = file ? zip_fread(file, bytes.data(), stat.size) : -1;
    if (file)
      zip_fclose(file);
    if (read != static_cast<zip_int64_t>(stat.size))
      return fail("'" + path + "': cannot decompress entry '" + stat.name +
                  "'");
    llvm::Expected<HostTensor> tensor = parseNpy(bytes);
    if (!tensor)
      return fail("'" + path + "', array '" + name +
                  "': " + llvm::toString(tensor.takeError()));
    tensors.push_back({name.str(), std::move(*tensor)});
  }
  return tensors;
}

static llvm::Expected<std::vector<NamedTensor>> readNpz(StringRef path) {
  int error = 0;
  zip_t *archive = zip_open(path.str().c_str(), ZIP_RDONLY, &error);
  if (!archive) {
    zip_error_t details;
    zip_error_init_with_code(&details, error);
    std::string message = zip_error_strerror(&details);
    zip_error_fini(&details);
    return fail("cannot read '" + path +
                "' as an .npz (zip) archive: " + message);
  }
  llvm::Expected<std::vector<NamedTensor>> tensors = readArchive(path, archive);
  zip_discard(archive);
  return tensors;
}

static llvm::Expected<std::vector<NamedTensor>>
readNpyDirectory(StringRef path) {
  std::vector<NamedTensor> tensors;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
       it.increment(ec)) {
    StringRef file = it->path();
    if (llvm::sys::path::extension(file) != ".npy")
      continue;
    auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer)
      return fail("cannot read '" + file + "': " + buffer.getError().message());
    llvm::Expected<HostTensor> tensor = parseNpy((*buffer)->getBuffer());
    if (!tensor)
      return fail("'" + file + "': " + llvm::toString(tensor.takeError()));
    tensors.push_back({llvm::sys::path::stem(file).str(), std::move(*tensor)});
  }
  if (ec)
    return fail("cannot list '" + path + "': " + ec.message());
  llvm::sort(tensors, [](const NamedTensor &a, const NamedTensor &b) {
    return a.name < b.name;
  });
  return tensors;
}

llvm::Expected<std::vector<NamedTensor>> qcc::readTensors(StringRef path) {
  if (!llvm::sys::fs::exists(path))
    return fail("'" + path + "' does not exist");
  llvm::Expected<std::vector<NamedTensor>> tensors =
      llvm::sys::fs::is_directory(path) ? readNpyDirectory(path)
                                        : readNpz(path);
  if (tensors && tensors->empty())
    return fail("'" + path + "' holds no .npy arrays");
  return tensors;
}

llvm::Error qcc::writeNpz(StringRef path, llvm::ArrayRef<NamedTensor> tensors) {
  llvm::SmallString<256> temporary;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", temporary))
    return fail("cannot create a file next to '" + path + "': " + ec.message());
  int error = 0;
  zip_t *archive =
      zip_open(temporary.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (!archive) {
    llvm::sys::fs::remove(temporary);
    return fail("cannot write '" + path + "'");
  }
  // libzip reads the buffers when the archive is closed; keep them until then.
  std::vector<std::string> payloads;
  payloads.reserve(tensors.size());
  bool ok = true;
  for (const NamedTensor &tensor : tensors) {
    payloads.push_back(serializeNpy(tensor.tensor));
    zip_source_t *source = zip_source_buffer(archive, payloads.back().data(),
                                             payloads.back().size(), 0);
    zip_int64_t index =
        source ? zip_file_add(archive, (tensor.name + ".npy").c_str(), source,
                              ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8)
               : -1;
    if (index < 0) {
      if (source)
        zip_source_free(source);
      ok = false;
      break;
    }
    zip_set_file_compression(archive, index, ZIP_CM_STORE, 0);
  }
  if (!ok || zip_close(archive) != 0) {
    zip_discard(archive);
    llvm::sys::fs::remove(temporary);
    return fail("cannot write '" + path + "'");
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, path)) {
    llvm::sys::fs::remove(temporary);
    return fail("cannot write '" + path + "': " + ec.message());
  }
  return llvm::Error::success();
}
