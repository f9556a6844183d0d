#pragma once

#include <QList>
#include <QString>

namespace wl
{

// A non-fatal finding (CRC mismatch, missing optional file, stale path); the rest stays usable.
struct Problem {
    enum class Severity { Info, Warning, Error };
    Severity severity = Severity::Warning;
    QString file;  // the file concerned
    QString where; // key, offset or member; may be empty
    QString text;

    QString toString() const;
};

using Problems = QList<Problem>;

} // namespace wl
