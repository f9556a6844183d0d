// The fuzz input as a file: the readers under test open paths, so each input is written to one
// memfd (no disk, reused across runs) and opened through /proc/self/fd.
#pragma once

#include <QString>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

inline QString fuzzInputPath(const std::uint8_t *data, std::size_t size)
{
    static const int fd = memfd_create("fuzz-input", 0);
    if (fd < 0 || ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != ssize_t(size))
        std::abort(); // the harness itself failed, not the parser
    return QStringLiteral("/proc/self/fd/%1").arg(fd);
}
