#pragma once

#include <QAnyStringView>
#include <QString>

namespace wl
{

// The noun for a count: "tensor" for exactly 1, else the plural ("0 tensors", "2 tensors");
// `plural` defaults to the singular with an "s".
QString nounFor(qint64 n, QAnyStringView singular, QAnyStringView plural = {});
// The count and its noun: "1 tensor", "67 tensors", "1 entry" / "3 entries".
QString counted(qint64 n, QAnyStringView singular, QAnyStringView plural = {});

} // namespace wl
