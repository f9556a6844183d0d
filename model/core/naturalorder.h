#pragma once

#include <QString>

namespace wl
{

// Natural order for names people number: "ckpt_9" < "ckpt_10", "dense_2" < "dense_10". Digit
// runs compare by value, then by length (leading zeros); everything else by character.
bool naturalLess(const QString &a, const QString &b);

} // namespace wl
