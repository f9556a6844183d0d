#pragma once

// Helpers shared by the HDF5 wrapper's source files.

#include "hdf5file.h"

#include <hdf5.h>

namespace wl::h5::detail
{

// Error printing is per thread in a thread-safe build, so every entry point silences it.
void quiet();
QString joinPath(const QString &a, const QString &b);
Handle make(hid_t id);
// "/a/b" for error texts.
QString objectText(const QString &p);
// Opens an object only when every link on its path exists; invalid handle otherwise.
Handle openObject(hid_t file, const QString &path);
// openObject for a path whose parent openObject opened: only the last link is left to check.
Handle openChild(hid_t file, const QString &path);

// Sets the read-only file driver of hdf5driver.cpp on a file-access property list: it reads the
// file named at open, or the caller's buffer when data is set (the buffer outlives the file).
bool setReadOnlyDriver(hid_t fapl, const std::uint8_t *data, std::size_t size);
// Why HDF5 1.10 could read past an attribute message of the object's header (see
// hdf5driver.cpp); empty when it cannot, or when the file is not read through that driver.
QString objectHeaderProblem(hid_t object);

} // namespace wl::h5::detail
