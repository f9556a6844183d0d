// A restricted pickle VM (protocols 0-5, the opcodes of CPython's Lib/pickletools.py). It
// interprets only what torch.save writes; formats-keras-pytorch.md section 4.1 "Pickle
// security" gives the rules.
#include "pickle.h"

#include <QSet>

#include <cmath>
#include <cstring>
#include <unordered_map>

namespace wl::pickle
{

bool Value::isContainer() const
{
    return kind == Kind::List || kind == Kind::Tuple || kind == Kind::Dict || kind == Kind::Set ||
           kind == Kind::Object || kind == Kind::PersistentId;
}

Value *Value::get(const std::string &key) const
{
    if (kind != Kind::Dict && kind != Kind::Object)
        return nullptr;
    for (const auto &[k, v] : entries)
        if (k && k->kind == Kind::String && k->text == key)
            return v;
    return nullptr;
}

namespace
{

const QSet<QByteArray> &allowList()
{
    static const QSet<QByteArray> names{
        "collections.OrderedDict",
        "builtins.set",
        "builtins.frozenset",
        "__builtin__.set",
        "__builtin__.frozenset",
        "_codecs.encode",
        "torch.Size",
        "torch.device",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch._tensor._rebuild_from_type_v2",
        "torch.nn.parameter.Parameter",
        "torch.Tensor",
    };
    return names;
}

bool isStorageType(const std::string &name)
{
    // torch.FloatStorage, torch.cuda.HalfStorage, torch.storage.UntypedStorage, ...
    return name.starts_with("torch.") && name.ends_with("Storage");
}

} // namespace

Unpickler::Unpickler(QString file, Limits limits) : m_file(std::move(file)), m_limits(limits) {}
Unpickler::~Unpickler() = default;

bool Unpickler::isAllowed(const std::string &global) const
{
    return isStorageType(global) || allowList().contains(QByteArray::fromStdString(global));
}

Value *Unpickler::make(Value::Kind kind)
{
    m_arena.push_back(std::make_unique<Value>());
    m_arena.back()->kind = kind;
    return m_arena.back().get();
}

class Machine
{
public:
    Machine(Unpickler &u, std::span<const std::uint8_t> bytes, std::int64_t base)
        : u(u), in(bytes), base(base)
    {
    }

    Result<Value *> run(std::size_t *consumed);

private:
    using K = Value::Kind;
    struct Failure {
        LoadError error;
    };

    [[noreturn]] void fail(LoadError::Code code, const QString &expected, const QString &found,
                           std::size_t at)
    {
        throw Failure{makeError(code, u.m_file,
                                QStringLiteral("pickle offset %1").arg(base + std::int64_t(at)),
                                expected, found)};
    }
    [[noreturn]] void corrupt(const QString &expected, const QString &found = {})
    {
        fail(LoadError::Code::Corrupt, expected, found, opAt);
    }

    const std::uint8_t *take(std::size_t n)
    {
        if (n > in.size() - pos)
            fail(LoadError::Code::Truncated, QStringLiteral("%1 more bytes").arg(n),
                 QStringLiteral("%1 left").arg(in.size() - pos), pos);
        const auto *p = in.data() + pos;
        pos += n;
        return p;
    }
    template <class T> T le()
    {
        T v;
        std::memcpy(&v, take(sizeof(T)), sizeof(T));
        return v;
    }
    std::string line()
    {
        std::size_t end = pos;
        while (end < in.size() && in[end] != '\n')
            ++end;
        if (end >= in.size())
            fail(LoadError::Code::Truncated, QStringLiteral("a line ending in a newline"),
                 QStringLiteral("the end of the data"), pos);
        std::string s(reinterpret_cast<const char *>(in.data() + pos), end - pos);
        pos = end + 1;
        return s;
    }
    std::string bytesOf(std::uint64_t n)
    {
        if (n > u.m_limits.maxString)
            corrupt(QStringLiteral("a string of at most %1 bytes").arg(u.m_limits.maxString),
                    QStringLiteral("%1 bytes").arg(n));
        const auto *p = take(std::size_t(n));
        return std::string(reinterpret_cast<const char *>(p), std::size_t(n));
    }

    Value *make(K kind)
    {
        if (u.m_arena.size() >= u.m_limits.maxValues)
            corrupt(QStringLiteral("at most %1 objects").arg(u.m_limits.maxValues),
                    QStringLiteral("more"));
        return u.make(kind);
    }
    Value *makeInt(std::int64_t v)
    {
        auto *x = make(K::Int);
        x->integer = v;
        return x;
    }
    Value *makeText(K kind, std::string s)
    {
        auto *x = make(kind);
        x->text = std::move(s);
        return x;
    }

    void push(Value *v)
    {
        if (stack.size() >= u.m_limits.maxStack)
            corrupt(QStringLiteral("a stack of at most %1 entries").arg(u.m_limits.maxStack),
                    QStringLiteral("more"));
        stack.push_back(v);
    }
    Value *pop()
    {
        if (stack.size() <= floor())
            corrupt(QStringLiteral("a value on the stack"), QStringLiteral("an empty stack"));
        Value *v = stack.back();
        stack.pop_back();
        return v;
    }
    Value *top()
    {
        if (stack.size() <= floor())
            corrupt(QStringLiteral("a value on the stack"), QStringLiteral("an empty stack"));
        return stack.back();
    }
    std::size_t floor() const { return marks.empty() ? 0 : marks.back(); }
    std::vector<Value *> popMark()
    {
        if (marks.empty())
            corrupt(QStringLiteral("a MARK before this opcode"), QStringLiteral("none"));
        const std::size_t m = marks.back();
        marks.pop_back();
        std::vector<Value *> items(stack.begin() + std::ptrdiff_t(m), stack.end());
        stack.resize(m);
        return items;
    }

    // The container's nesting grows with what goes in; past the limit the pickle is refused.
    void nest(Value *container, const Value *child)
    {
        if (child && child != container)
            container->depth = std::max(container->depth, child->depth + 1);
        if (container->depth > u.m_limits.maxDepth)
            corrupt(QStringLiteral("objects nested at most %1 deep").arg(u.m_limits.maxDepth),
                    QStringLiteral("deeper nesting"));
    }
    Value *sequence(K kind, std::vector<Value *> items)
    {
        auto *v = make(kind);
        for (auto *i : items)
            nest(v, i);
        v->items = std::move(items);
        return v;
    }
    void setItem(Value *d, Value *k, Value *v)
    {
        if (d->kind != K::Dict && d->kind != K::Object)
            corrupt(QStringLiteral("a dict to set items in"), kindName(d));
        nest(d, k);
        nest(d, v);
        d->entries.emplace_back(k, v);
    }
    void append(Value *l, Value *v)
    {
        if (l->kind != K::List && l->kind != K::Object && l->kind != K::Set)
            corrupt(QStringLiteral("a list to append to"), kindName(l));
        nest(l, v);
        l->items.push_back(v);
    }

    void memoPut(std::uint64_t index, Value *v)
    {
        if (memo.size() >= u.m_limits.maxMemo && !memo.contains(index))
            corrupt(QStringLiteral("a memo of at most %1 entries").arg(u.m_limits.maxMemo),
                    QStringLiteral("more"));
        memo[index] = v;
    }
    Value *memoGet(std::uint64_t index)
    {
        const auto it = memo.find(index);
        if (it == memo.end())
            corrupt(QStringLiteral("a memo entry %1").arg(index), QStringLiteral("none"));
        return it->second;
    }

    static QString kindName(const Value *v);
    Value *global(std::string module, std::string name);
    Value *apply(Value *callable, Value *args);
    Value *inert(Value *callable, Value *args);
    Value *rebuildTensor(const std::vector<Value *> &a, bool v2);
    std::vector<std::int64_t> ints(const Value *v, const char *what);
    void build(Value *obj, Value *state);

    Unpickler &u;
    std::span<const std::uint8_t> in;
    std::int64_t base;
    std::size_t pos = 0;
    std::size_t opAt = 0;
    std::vector<Value *> stack;
    std::vector<std::size_t> marks;
    std::unordered_map<std::uint64_t, Value *> memo;
};

QString Machine::kindName(const Value *v)
{
    static const char *names[] = {"None", "bool",   "int",    "int",           "float",
                                  "str",  "bytes",  "list",   "tuple",         "dict",
                                  "set",  "global", "object", "persistent id", "tensor"};
    if (!v)
        return QStringLiteral("nothing");
    if (v->kind == K::Global || v->kind == K::Object)
        return QString::fromStdString(v->text);
    return QString::fromLatin1(names[int(v->kind)]);
}

Value *Machine::global(std::string module, std::string name)
{
    // Python 2 pickles name builtins "__builtin__"; the torch saver writes both spellings.
    std::string full = module + "." + name;
    const QString q = QString::fromStdString(full);
    if (!u.m_globals.contains(q))
        u.m_globals << q;
    if (!u.isAllowed(full) && !u.m_inert.contains(q))
        u.m_inert << q;
    return makeText(K::Global, std::move(full));
}

std::vector<std::int64_t> Machine::ints(const Value *v, const char *what)
{
    if (!v || (v->kind != K::Tuple && v->kind != K::List))
        corrupt(QStringLiteral("a tuple of ints for %1").arg(QLatin1String(what)), kindName(v));
    std::vector<std::int64_t> out;
    for (const auto *i : v->items) {
        if (!i || (i->kind != K::Int && i->kind != K::Bool))
            corrupt(QStringLiteral("a tuple of ints for %1").arg(QLatin1String(what)), kindName(i));
        out.push_back(i->integer);
    }
    return out;
}

Value *Machine::rebuildTensor(const std::vector<Value *> &a, bool v2)
{
    if (a.size() < 4)
        corrupt(QStringLiteral("storage, offset, size and stride"),
                QStringLiteral("%1 arguments").arg(a.size()));
    auto *t = make(K::Tensor);
    t->storage = a[0];
    if (!a[1] || a[1]->kind != K::Int || a[1]->integer < 0)
        corrupt(QStringLiteral("a non-negative storage offset"), kindName(a[1]));
    t->storageOffset = a[1]->integer;
    t->size = ints(a[2], "the size");
    t->stride = ints(a[3], "the stride");
    if (t->size.size() != t->stride.size())
        corrupt(QStringLiteral("as many strides as dimensions"),
                QStringLiteral("%1 and %2").arg(t->stride.size()).arg(t->size.size()));
    if (v2 && a.size() > 4 && a[4] && a[4]->kind == K::Bool)
        t->requiresGrad = a[4]->boolean;
    nest(t, a[0]);
    return t;
}

Value *Machine::inert(Value *callable, Value *args)
{
    auto *o = make(K::Object);
    o->text = callable->kind == K::Global || callable->kind == K::Object ? callable->text
                                                                         : std::string("?");
    if (args) {
        o->items.push_back(args);
        nest(o, args);
    }
    return o;
}

Value *Machine::apply(Value *callable, Value *args)
{
    if (!args || (args->kind != K::Tuple && args->kind != K::List))
        corrupt(QStringLiteral("an argument tuple"), kindName(args));
    const std::string name = globalName(callable);
    const auto &a = args->items;
    if (name.empty() || !u.isAllowed(name))
        return inert(callable, args);
    if (name == "collections.OrderedDict") {
        auto *d = make(K::Dict);
        if (!a.empty() && a[0] && (a[0]->kind == K::List || a[0]->kind == K::Tuple))
            for (auto *pair : a[0]->items)
                if (pair && pair->kind == K::Tuple && pair->items.size() == 2)
                    setItem(d, pair->items[0], pair->items[1]);
        return d;
    }
    if (name.ends_with(".set") || name.ends_with(".frozenset")) {
        auto *s = make(K::Set);
        if (!a.empty() && a[0] && a[0]->isContainer())
            for (auto *i : a[0]->items)
                append(s, i);
        return s;
    }
    if (name == "_codecs.encode") {
        // Protocol 2 pickles bytes as _codecs.encode(text, "latin1"): code points are bytes.
        if (a.empty() || !a[0] || a[0]->kind != K::String)
            corrupt(QStringLiteral("a string to encode"), a.empty() ? QString() : kindName(a[0]));
        const QString s = QString::fromUtf8(a[0]->text);
        std::string out;
        out.reserve(std::size_t(s.size()));
        for (QChar c : s)
            out.push_back(char(c.unicode() & 0xff));
        return makeText(K::Bytes, std::move(out));
    }
    if (name == "torch.Size") {
        if (a.empty() || !a[0] || (a[0]->kind != K::Tuple && a[0]->kind != K::List))
            return sequence(K::Tuple, {});
        return sequence(K::Tuple, a[0]->items);
    }
    if (name == "torch.device") {
        std::string s = !a.empty() && a[0] && a[0]->kind == K::String ? a[0]->text : "?";
        if (a.size() > 1 && a[1] && a[1]->kind == K::Int)
            s += ":" + std::to_string(a[1]->integer);
        return makeText(K::String, std::move(s));
    }
    if (name == "torch._utils._rebuild_tensor" || name == "torch._utils._rebuild_tensor_v2")
        return rebuildTensor(a, name.ends_with("_v2"));
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state" ||
        name == "torch.nn.parameter.Parameter") {
        if (a.empty() || !a[0] || a[0]->kind != K::Tensor)
            return inert(callable, args);
        a[0]->parameter = true;
        if (a.size() > 1 && a[1] && a[1]->kind == K::Bool)
            a[0]->requiresGrad = a[1]->boolean;
        return a[0];
    }
    if (name == "torch._tensor._rebuild_from_type_v2") {
        // (func, type, args, state): the tensor is func(*args); the subclass type is dropped.
        if (a.size() < 3)
            return inert(callable, args);
        auto *inner = apply(a[0], a[2]);
        return inner;
    }
    if (isStorageType(name) || name == "torch.Tensor")
        return inert(callable, args);
    return inert(callable, args);
}

void Machine::build(Value *obj, Value *state)
{
    // An OrderedDict's BUILD sets `_metadata`; a tensor's sets hooks. Neither matters here, but
    // an inert object keeps its state, which may hold tensors (argparse.Namespace).
    if (obj->kind == K::Object) {
        if (state && state->kind == K::Dict) {
            for (const auto &[k, v] : state->entries)
                setItem(obj, k, v);
        } else if (state) {
            obj->items.push_back(state);
            nest(obj, state);
        }
    }
}

Result<Value *> Machine::run(std::size_t *consumed)
{
    try {
        for (;;) {
            opAt = pos;
            const std::uint8_t op = *take(1);
            switch (op) {
            case 0x80: // PROTO
                if (const int v = *take(1); v > 5)
                    corrupt(QStringLiteral("pickle protocol 0 to 5"),
                            QStringLiteral("protocol %1").arg(v));
                break;
            case 0x95: // FRAME: a length hint only
                (void)le<std::uint64_t>();
                break;
            case '.': { // STOP
                Value *result = pop();
                if (consumed)
                    *consumed = pos;
                return result;
            }
            case '(':
                if (int(marks.size()) >= u.m_limits.maxDepth)
                    corrupt(QStringLiteral("at most %1 open MARKs").arg(u.m_limits.maxDepth),
                            QStringLiteral("deeper nesting"));
                marks.push_back(stack.size());
                break;
            case '0':
                pop();
                break;
            case '1':
                popMark();
                break;
            case '2':
                push(top());
                break;
            case 'N':
                push(make(K::None));
                break;
            case 0x88:
            case 0x89: {
                auto *b = make(K::Bool);
                b->boolean = op == 0x88;
                b->integer = b->boolean;
                push(b);
                break;
            }
            case 'J':
                push(makeInt(le<std::int32_t>()));
                break;
            case 'K':
                push(makeInt(*take(1)));
                break;
            case 'M':
                push(makeInt(le<std::uint16_t>()));
                break;
            case 'I':
            case 'L': { // text INT / LONG; "I01" and "I00" are protocol 0's booleans
                std::string s = line();
                if (!s.empty() && s.back() == 'L')
                    s.pop_back();
                if (op == 'I' && (s == "00" || s == "01")) {
                    auto *b = make(K::Bool);
                    b->boolean = s == "01";
                    b->integer = b->boolean;
                    push(b);
                    break;
                }
                bool ok = false;
                const qlonglong v = QByteArray::fromStdString(s).toLongLong(&ok);
                if (!ok)
                    corrupt(QStringLiteral("a decimal integer"),
                            QString::fromLatin1(s.substr(0, 40)));
                push(makeInt(v));
                break;
            }
            case 0x8a:
            case 0x8b: { // LONG1 / LONG4: little-endian two's complement
                const std::uint64_t n = op == 0x8a ? *take(1) : std::uint64_t(le<std::uint32_t>());
                std::string raw = bytesOf(n);
                if (n <= 8) {
                    std::uint64_t v = 0;
                    for (std::size_t k = 0; k < n; ++k)
                        v |= std::uint64_t(std::uint8_t(raw[k])) << (8 * k);
                    if (n > 0 && n < 8 && (std::uint8_t(raw[n - 1]) & 0x80))
                        v |= ~std::uint64_t(0) << (8 * n);
                    push(makeInt(std::int64_t(v)));
                } else {
                    push(makeText(K::BigInt, std::move(raw)));
                }
                break;
            }
            case 'F': {
                bool ok = false;
                const double d = QByteArray::fromStdString(line()).toDouble(&ok);
                if (!ok)
                    corrupt(QStringLiteral("a decimal float"));
                auto *f = make(K::Float);
                f->real = d;
                push(f);
                break;
            }
            case 'G': { // BINFLOAT: big-endian double
                std::uint64_t bits = 0;
                const auto *p = take(8);
                for (int k = 0; k < 8; ++k)
                    bits = (bits << 8) | p[k];
                auto *f = make(K::Float);
                std::memcpy(&f->real, &bits, 8);
                push(f);
                break;
            }
            case 'S': { // STRING: a quoted repr; escapes are kept as written
                std::string s = line();
                if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') &&
                    s.back() == s.front())
                    s = s.substr(1, s.size() - 2);
                push(makeText(K::String, std::move(s)));
                break;
            }
            case 'V':
                push(makeText(K::String, line()));
                break;
            case 'T':
                push(makeText(K::String, bytesOf(le<std::uint32_t>())));
                break;
            case 'U':
                push(makeText(K::String, bytesOf(*take(1))));
                break;
            case 'X':
                push(makeText(K::String, bytesOf(le<std::uint32_t>())));
                break;
            case 0x8c:
                push(makeText(K::String, bytesOf(*take(1))));
                break;
            case 0x8d:
                push(makeText(K::String, bytesOf(le<std::uint64_t>())));
                break;
            case 'B':
                push(makeText(K::Bytes, bytesOf(le<std::uint32_t>())));
                break;
            case 'C':
                push(makeText(K::Bytes, bytesOf(*take(1))));
                break;
            case 0x8e:
            case 0x96:
                push(makeText(K::Bytes, bytesOf(le<std::uint64_t>())));
                break;
            case ']':
                push(make(K::List));
                break;
            case ')':
                push(make(K::Tuple));
                break;
            case '}':
                push(make(K::Dict));
                break;
            case 0x8f:
                push(make(K::Set));
                break;
            case 'l':
                push(sequence(K::List, popMark()));
                break;
            case 't':
                push(sequence(K::Tuple, popMark()));
                break;
            case 0x91:
                push(sequence(K::Set, popMark()));
                break;
            case 0x85:
            case 0x86:
            case 0x87: {
                std::vector<Value *> items(std::size_t(op - 0x84));
                for (auto it = items.rbegin(); it != items.rend(); ++it)
                    *it = pop();
                push(sequence(K::Tuple, std::move(items)));
                break;
            }
            case 'd': {
                auto items = popMark();
                if (items.size() % 2)
                    corrupt(QStringLiteral("key-value pairs"),
                            QStringLiteral("%1 items").arg(items.size()));
                auto *d = make(K::Dict);
                for (std::size_t k = 0; k < items.size(); k += 2)
                    setItem(d, items[k], items[k + 1]);
                push(d);
                break;
            }
            case 'a': {
                Value *v = pop();
                append(top(), v);
                break;
            }
            case 'e':
            case 0x90: {
                auto items = popMark();
                Value *l = top();
                for (auto *v : items)
                    append(l, v);
                break;
            }
            case 's': {
                Value *v = pop();
                Value *k = pop();
                setItem(top(), k, v);
                break;
            }
            case 'u': {
                auto items = popMark();
                if (items.size() % 2)
                    corrupt(QStringLiteral("key-value pairs"),
                            QStringLiteral("%1 items").arg(items.size()));
                Value *d = top();
                for (std::size_t k = 0; k < items.size(); k += 2)
                    setItem(d, items[k], items[k + 1]);
                break;
            }
            case 'c': {
                std::string module = line();
                std::string name = line();
                push(global(std::move(module), std::move(name)));
                break;
            }
            case 0x93: { // STACK_GLOBAL
                Value *name = pop();
                Value *module = pop();
                if (name->kind != K::String || module->kind != K::String)
                    corrupt(QStringLiteral("module and name strings"),
                            kindName(module) + QLatin1String(", ") + kindName(name));
                push(global(module->text, name->text));
                break;
            }
            case 'R': {
                Value *args = pop();
                Value *callable = pop();
                push(apply(callable, args));
                break;
            }
            case 0x81: { // NEWOBJ: cls.__new__(cls, *args)
                Value *args = pop();
                Value *cls = pop();
                push(apply(cls, args));
                break;
            }
            case 0x92: { // NEWOBJ_EX
                Value *kwargs = pop();
                Value *args = pop();
                Value *cls = pop();
                Value *o = apply(cls, args);
                if (o->kind == K::Object)
                    build(o, kwargs);
                push(o);
                break;
            }
            case 'b': {
                Value *state = pop();
                build(top(), state);
                break;
            }
            case 'P':
                push(sequence(K::PersistentId, {makeText(K::String, line())}));
                break;
            case 'Q': {
                Value *pid = pop();
                auto *p = make(K::PersistentId);
                if (pid->kind == K::Tuple)
                    p->items = pid->items;
                else
                    p->items.push_back(pid);
                nest(p, pid);
                push(p);
                break;
            }
            case 'g': {
                bool ok = false;
                const auto index = QByteArray::fromStdString(line()).toULongLong(&ok);
                if (!ok)
                    corrupt(QStringLiteral("a memo index"));
                push(memoGet(index));
                break;
            }
            case 'h':
                push(memoGet(*take(1)));
                break;
            case 'j':
                push(memoGet(le<std::uint32_t>()));
                break;
            case 'p': {
                bool ok = false;
                const auto index = QByteArray::fromStdString(line()).toULongLong(&ok);
                if (!ok)
                    corrupt(QStringLiteral("a memo index"));
                memoPut(index, top());
                break;
            }
            case 'q':
                memoPut(*take(1), top());
                break;
            case 'r':
                memoPut(le<std::uint32_t>(), top());
                break;
            case 0x94:
                memoPut(memo.size(), top());
                break;
            case 'i':
            case 'o':
            case 0x82:
            case 0x83:
            case 0x84:
            case 0x97:
            case 0x98:
                corrupt(QStringLiteral("an opcode torch.save writes"),
                        QStringLiteral("opcode 0x%1, which is refused")
                            .arg(op, 2, 16, QLatin1Char('0')));
            default:
                corrupt(QStringLiteral("a pickle opcode"),
                        QStringLiteral("byte 0x%1").arg(op, 2, 16, QLatin1Char('0')));
            }
        }
    } catch (const Failure &f) {
        return f.error;
    } catch (const std::bad_alloc &) {
        return makeError(LoadError::Code::Corrupt, u.m_file,
                         QStringLiteral("pickle offset %1").arg(base + std::int64_t(opAt)),
                         QStringLiteral("a pickle that fits in memory"),
                         QStringLiteral("more than fits"));
    }
}

Result<Value *> Unpickler::load(std::span<const std::uint8_t> bytes, std::int64_t fileOffset,
                                std::size_t *consumed)
{
    Machine m(*this, bytes, fileOffset);
    return m.run(consumed);
}

} // namespace wl::pickle
