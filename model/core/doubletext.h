#pragma once

namespace wl
{

// Writes v as std::to_chars(first, first + 32, v) does (the shortest text that reads back as v,
// fixed or scientific, whichever is shorter) and returns the end. Doubles with a short
// decimal form (wall times) and floats widened to double (summary values) take a fast path of
// exact integer arithmetic; the rest go to std::to_chars. Needs 64 bytes of room.
char *shortestDouble(char *first, double v);

} // namespace wl
