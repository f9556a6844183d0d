#pragma once

// Pickles written opcode by opcode: the PyTorch writer's state_dict, and in tests what
// torch.save emits (and what it never would).
#include <QByteArray>
#include <QString>
#include <QtEndian>
#include <cstdint>
#include <cstring>
#include <vector>

namespace wl
{

class PickleWriter
{
public:
    explicit PickleWriter(int protocol = 2)
    {
        op(0x80);
        m_out.append(char(protocol));
    }

    PickleWriter &op(std::uint8_t code)
    {
        m_out.append(char(code));
        return *this;
    }
    PickleWriter &raw(const QByteArray &b)
    {
        m_out.append(b);
        return *this;
    }
    PickleWriter &mark() { return op('('); }
    PickleWriter &str(const QString &s)
    {
        const QByteArray u = s.toUtf8();
        op('X');
        le32(quint32(u.size()));
        return raw(u);
    }
    PickleWriter &integer(std::int64_t v)
    {
        if (v >= 0 && v < 256)
            return op('K').raw(QByteArray(1, char(v)));
        if (v >= INT32_MIN && v <= INT32_MAX) {
            op('J');
            le32(quint32(std::int32_t(v)));
            return *this;
        }
        op(0x8a).raw(QByteArray(1, char(8)));
        char b[8];
        qToLittleEndian<qint64>(v, b);
        return raw(QByteArray(b, 8));
    }
    PickleWriter &real(double d)
    {
        char b[8];
        qToBigEndian<double>(d, b);
        return op('G').raw(QByteArray(b, 8));
    }
    PickleWriter &boolean(bool b) { return op(b ? 0x88 : 0x89); }
    PickleWriter &none() { return op('N'); }
    PickleWriter &global(const char *module, const char *name)
    {
        return op('c').raw(QByteArray(module) + '\n' + name + '\n');
    }
    PickleWriter &emptyDict() { return op('}'); }
    PickleWriter &emptyList() { return op(']'); }
    PickleWriter &emptyTuple() { return op(')'); }
    PickleWriter &tuple() { return op('t'); } // closes a mark
    PickleWriter &setItems() { return op('u'); }
    PickleWriter &appends() { return op('e'); }
    PickleWriter &reduce() { return op('R'); }
    PickleWriter &build() { return op('b'); }
    PickleWriter &persid() { return op('Q'); }
    PickleWriter &put(std::uint32_t i)
    {
        op('r');
        le32(i);
        return *this;
    }
    PickleWriter &get(std::uint32_t i)
    {
        op('j');
        le32(i);
        return *this;
    }
    PickleWriter &stop() { return op('.'); }

    PickleWriter &ints(const std::vector<std::int64_t> &v)
    {
        mark();
        for (auto x : v)
            integer(x);
        return tuple();
    }
    // ("storage", torch.<type>, key, "cpu", numel) as a persistent id.
    PickleWriter &storage(const char *type, const QString &key, std::int64_t numel)
    {
        mark().str(QStringLiteral("storage")).global("torch", type).str(key);
        str(QStringLiteral("cpu")).integer(numel).tuple();
        return persid();
    }
    // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()).
    PickleWriter &tensor(const char *type, const QString &key, std::int64_t numel,
                         std::int64_t offset, const std::vector<std::int64_t> &size,
                         const std::vector<std::int64_t> &stride)
    {
        global("torch._utils", "_rebuild_tensor_v2").mark();
        storage(type, key, numel).integer(offset).ints(size).ints(stride).boolean(false);
        global("collections", "OrderedDict").emptyTuple().reduce();
        return tuple().reduce();
    }

    const QByteArray &bytes() const { return m_out; }

private:
    void le32(quint32 v)
    {
        char b[4];
        qToLittleEndian<quint32>(v, b);
        m_out.append(b, 4);
    }
    QByteArray m_out;
};

} // namespace wl
