#pragma once

// The content of a report, laid out once as blocks for the HTML, PDF and Markdown writers.
// Internal to model/report.

#include "plotrenderer.h"

#include <QList>
#include <QSize>

#include <functional>

namespace wl::report
{

struct Cell {
    QString text;
    std::optional<double> value; // the full-precision number behind a rounded text
};

struct Block {
    enum class Kind { Heading, Para, Table, Figure, Pre, List };
    Kind kind = Kind::Para;
    int level = 2;
    QString id; // a heading's anchor
    QString text;
    QStringList header;
    QList<QList<Cell>> rows;
    QList<bool> numeric; // right-aligned columns
    // On paper the first column (a long tensor name) gets a full-width row of its own above
    // the rest, so names do not wrap every few letters beside many numeric columns.
    bool labelRow = false;
    PlotSpec plot;
    QSize size;
    QStringList items;
};

// The report as blocks, in order.
class Content
{
public:
    QList<Block> blocks;

    void heading(int level, const QString &text, const QString &id = {})
    {
        Block b;
        b.kind = Block::Kind::Heading;
        b.level = level;
        b.text = text;
        b.id = id.isEmpty() ? QStringLiteral("h%1").arg(++m_ids) : id;
        blocks << b;
    }
    void para(const QString &text)
    {
        Block b;
        b.text = text;
        blocks << b;
    }
    void list(const QStringList &items)
    {
        if (items.isEmpty())
            return;
        Block b;
        b.kind = Block::Kind::List;
        b.items = items;
        blocks << b;
    }
    void pre(const QString &text)
    {
        Block b;
        b.kind = Block::Kind::Pre;
        b.text = text;
        blocks << b;
    }
    void table(const QStringList &header, const QList<QList<Cell>> &rows,
               const QList<bool> &numeric, bool labelRow = false)
    {
        Block b;
        b.kind = Block::Kind::Table;
        b.header = header;
        b.rows = rows;
        b.numeric = numeric;
        b.labelRow = labelRow;
        blocks << b;
    }
    void figure(const PlotSpec &plot, const QSize &size, const QString &caption)
    {
        Block b;
        b.kind = Block::Kind::Figure;
        b.plot = plot;
        b.size = size;
        b.text = caption;
        blocks << b;
    }

private:
    int m_ids = 0;
};

// The blocks of every chosen section.
Content reportContent(const Report &r);
// The blocks as HTML: `image` gives the markup of each figure. For the PDF (QTextDocument's
// HTML subset) tables are plain and carry no data- attributes.
using ImageFn = std::function<QString(int index, const Block &b)>;
QString reportBlocksHtml(const Content &c, const ImageFn &image, bool pdf);
// "Written DATE from INPUTS."
QString reportTitleLine(const Report &r);

} // namespace wl::report
