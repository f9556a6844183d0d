#pragma once

#include "core/result.h"

#include <QString>
#include <QStringList>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace wl::pickle
{

// One object of an unpickled graph. Values live in the Unpickler's arena and point at each
// other with plain pointers, so cycles (a list that holds itself) and deep graphs cost no
// recursion when freed.
struct Value {
    enum class Kind : std::uint8_t {
        None,
        Bool,
        Int,
        BigInt, // LONG1/LONG4 beyond 64 bits: `text` holds its little-endian two's complement
        Float,
        String,
        Bytes,
        List,
        Tuple,
        Dict,
        Set,
        Global,       // a name GLOBAL/STACK_GLOBAL pushed: "module.name"; never imported
        Object,       // an off-list global applied to arguments: inert, kept for its contents
        PersistentId, // BINPERSID's argument (`items`), resolved by the format reader
        Tensor,       // torch._utils._rebuild_tensor* applied
    };
    Kind kind = Kind::None;
    bool boolean = false;
    std::int64_t integer = 0;
    double real = 0;
    std::string text; // String (UTF-8), Bytes, BigInt, and the global's name for Global/Object
    std::vector<Value *> items;                       // List, Tuple, Set, PersistentId, Object args
    std::vector<std::pair<Value *, Value *>> entries; // Dict, and the state BUILD gives an Object
    int depth = 1;                                    // nesting when built, for the limit

    // Tensor
    Value *storage = nullptr; // the PersistentId (or whatever the pickle put there)
    std::int64_t storageOffset = 0;
    std::vector<std::int64_t> size, stride;
    bool parameter = false;
    bool requiresGrad = false;

    bool isContainer() const;
    // The dict entry whose key is the string `key`, or null.
    Value *get(const std::string &key) const;
    QString str() const { return QString::fromStdString(text); }
};

struct Limits {
    int maxDepth = 256; // marks open at once and container nesting
    std::size_t maxMemo = std::size_t(1) << 20;
    std::size_t maxStack = std::size_t(1) << 22;
    std::size_t maxValues = std::size_t(1) << 24;
    std::size_t maxString = std::size_t(1) << 28; // one string or bytes object
};

// A pickle VM for untrusted checkpoints. Only the allow-listed globals the torch saver emits
// are interpreted (OrderedDict, the tensor rebuild functions, Parameter, torch.Size,
// torch.device, _codecs.encode, set/frozenset); every other global becomes an inert Object that
// keeps its arguments. Nothing is ever imported or called.
class Unpickler
{
public:
    explicit Unpickler(QString file, Limits limits = {});
    ~Unpickler();
    Unpickler(const Unpickler &) = delete;
    Unpickler &operator=(const Unpickler &) = delete;

    // Runs one pickle from the start of `bytes` to its STOP. `fileOffset` is where `bytes` start
    // in the file, for errors; `consumed` receives the pickle's length (legacy files chain them).
    Result<Value *> load(std::span<const std::uint8_t> bytes, std::int64_t fileOffset = 0,
                         std::size_t *consumed = nullptr);

    // Every global the pickles named, in first-seen order, and those left inert.
    const QStringList &globals() const { return m_globals; }
    const QStringList &inertGlobals() const { return m_inert; }
    bool isAllowed(const std::string &global) const;

private:
    friend class Machine;
    Value *make(Value::Kind kind);

    QString m_file;
    Limits m_limits;
    std::vector<std::unique_ptr<Value>> m_arena;
    QStringList m_globals, m_inert;
};

// "module.name" of a Global value, or empty.
inline std::string globalName(const Value *v)
{
    return v && v->kind == Value::Kind::Global ? v->text : std::string();
}

} // namespace wl::pickle
