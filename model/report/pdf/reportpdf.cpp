#include "reportpdf.h"

#include "report/reportcontent.h"

#include <QAbstractTextDocumentLayout>
#include <QBuffer>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QTextFrame>
#include <QTextList>
#include <QTextObjectInterface>
#include <QTextTable>

namespace wl::report
{
namespace
{

constexpr int kPlotObject = QTextFormat::UserObject + 1;
constexpr int kPlotIndex = QTextFormat::UserProperty + 1;

class PlotObject : public QObject, public QTextObjectInterface
{
    Q_OBJECT
    Q_INTERFACES(QTextObjectInterface)
public:
    PlotObject(const QList<Block> &figures, const PlotRenderer *plots)
        : m_figures(figures), m_plots(plots)
    {
    }
    QSizeF intrinsicSize(QTextDocument *, int, const QTextFormat &format) override
    {
        const auto &b = m_figures.value(format.intProperty(kPlotIndex));
        if (b.size.isEmpty())
            return {};
        return QSizeF(m_width, m_width * b.size.height() / b.size.width());
    }
    void drawObject(QPainter *painter, const QRectF &rect, QTextDocument *, int,
                    const QTextFormat &format) override
    {
        const int i = format.intProperty(kPlotIndex);
        if (i < 0 || i >= m_figures.size() || !m_plots)
            return;
        // Drawn a little smaller than on screen, then scaled to the column: the plot's text
        // keeps its proportion to the page's.
        const QSize size = m_figures[i].size * 0.75;
        painter->save();
        painter->translate(rect.topLeft());
        painter->scale(rect.width() / size.width(), rect.height() / size.height());
        m_plots->paint(m_figures[i].plot, *painter, size);
        painter->restore();
    }
    double m_width = 400; // the column, in the document's units

private:
    QList<Block> m_figures;
    const PlotRenderer *m_plots;
};

bool introducesSomething(const QTextBlock &b)
{
    if (b.textList() || QTextCursor(b).currentTable())
        return true;
    for (auto it = b.begin(); !it.atEnd(); ++it)
        if (it.fragment().charFormat().objectType() == kPlotObject)
            return true;
    return false;
}

// The whole page with a 2 cm margin, as QTextDocument::print() would lay it out; paged here
// so that what is adjusted below is what is printed.
qreal pageDocument(QTextDocument &doc, QPdfWriter &pdf)
{
    const qreal margin = int((2 / 2.54) * pdf.logicalDpiY());
    QTextFrameFormat root = doc.rootFrame()->frameFormat();
    root.setMargin(margin);
    doc.rootFrame()->setFrameFormat(root);
    doc.documentLayout()->setPaintDevice(&pdf);
    doc.setPageSize(QSizeF(pdf.width(), pdf.height()));
    return margin;
}

// QTextDocument has no keep-with-next: a heading whose table, list, plot or text starts on a
// later page moves to that page.
void keepHeadingsWithWhatFollows(QTextDocument &doc, qreal margin)
{
    auto *layout = doc.documentLayout();
    const qreal page = doc.pageSize().height();
    // A line that does not fit moves to the next page inside its block, which stays put.
    auto firstLineTop = [layout](const QTextBlock &b) {
        layout->documentSize(); // the layout is lazy: positions are final only once it is done
        const QTextLayout *l = b.layout();
        return layout->blockBoundingRect(b).top() + (l->lineCount() ? l->lineAt(0).y() : 0);
    };
    for (QTextBlock b = doc.begin(); b.isValid(); b = b.next()) {
        const int level = b.blockFormat().headingLevel();
        if (level < 2)
            continue;
        // What the heading introduces: its first table, list or plot, else its first paragraph.
        QTextBlock content, text;
        for (QTextBlock n = b.next(); n.isValid(); n = n.next()) {
            const int l = n.blockFormat().headingLevel();
            if (l > 0 && l <= level)
                break;
            if (introducesSomething(n)) {
                content = n;
                break;
            }
            if (l == 0 && !text.isValid())
                text = n;
        }
        if (!content.isValid())
            content = text;
        if (!content.isValid())
            continue;
        const qreal top = firstLineTop(b);
        const int headingPage = int(top / page);
        if (int(firstLineTop(content) / page) > headingPage &&
            top - headingPage * page > 2 * margin) {
            QTextBlockFormat f = b.blockFormat();
            f.setPageBreakPolicy(QTextFormat::PageBreak_AlwaysBefore);
            QTextCursor(b).setBlockFormat(f);
        }
    }
}

// Page by page, with the page number at the foot as print() puts it.
void printPages(QTextDocument &doc, QPdfWriter &pdf, qreal margin)
{
    QPainter painter(&pdf);
    const QSizeF page = doc.pageSize();
    const QFont font = doc.defaultFont();
    const QFontMetricsF metrics(font, &pdf);
    for (int i = 0; i < doc.pageCount(); ++i) {
        if (i > 0)
            pdf.newPage();
        const QRectF view(0, i * page.height(), page.width(), page.height());
        painter.save();
        painter.translate(0, -view.top());
        painter.setClipRect(view);
        QAbstractTextDocumentLayout::PaintContext context;
        context.clip = view;
        context.palette.setColor(QPalette::Text, Qt::black);
        doc.documentLayout()->draw(&painter, context);
        painter.restore();
        const QString number = QString::number(i + 1);
        painter.setFont(font);
        painter.drawText(QPointF(page.width() - margin - metrics.horizontalAdvance(number),
                                 page.height() - margin + metrics.ascent() + 5),
                         number);
    }
}

} // namespace

Result<QByteArray> pdfReport(const Report &r, const PlotRenderer *plots)
{
    const Content c = reportContent(r);
    QList<Block> figures;
    auto image = [&](int i, const Block &b) -> QString {
        figures << b;
        return QStringLiteral("<img src=\"plot:%1\" width=\"%2\" height=\"%3\"/>")
            .arg(i)
            .arg(b.size.width())
            .arg(b.size.height());
    };
    const QString body = reportBlocksHtml(c, image, true);
    QString html =
        QStringLiteral(
            "<html><head><style>h1{font-size:20pt;} h2{font-size:15pt; "
            "margin-top:18px;} h3{font-size:12pt;} th{background-color:#eef1f5;} "
            "table{border-color:#c9ced6; font-size:8pt;} pre{font-size:7pt;} "
            "p,li{font-size:9pt;}</style></head><body><h1>WeightLens report</h1><p>%1</p>")
            .arg(reportTitleLine(r).toHtmlEscaped());
    html += body + QStringLiteral("</body></html>");

    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QPdfWriter pdf(&buffer);
    pdf.setTitle(QStringLiteral("WeightLens report"));
    pdf.setCreator(QStringLiteral("WeightLens"));
    pdf.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Portrait,
                                  QMarginsF(5, 5, 5, 5), QPageLayout::Millimeter));
    pdf.setResolution(72); // the document's units are points

    QTextDocument doc;
    doc.setDefaultFont(QFont(QStringLiteral("DejaVu Sans"), 9));
    PlotObject handler(figures, plots);
    doc.documentLayout()->registerHandler(kPlotObject, &handler);
    doc.setHtml(html);
    // The pages are the writer's pixels (points at 72 dpi) inside margins of 2 cm.
    handler.m_width = plots ? (pdf.width() - 2 * (2 / 2.54) * 72) * 0.98 : 1;
    // Each placeholder image becomes a plot object drawn by the renderer at print time.
    for (QTextBlock block = doc.begin(); block.isValid(); block = block.next())
        for (auto it = block.begin(); !it.atEnd(); ++it) {
            const QTextFragment f = it.fragment();
            const QTextCharFormat cf = f.charFormat();
            if (!cf.isImageFormat())
                continue;
            const QString name = cf.toImageFormat().name();
            if (!name.startsWith(QLatin1String("plot:")))
                continue;
            QTextCharFormat pf;
            pf.setObjectType(kPlotObject);
            pf.setProperty(kPlotIndex, name.mid(5).toInt());
            QTextCursor cursor(&doc);
            cursor.setPosition(f.position());
            cursor.setPosition(f.position() + f.length(), QTextCursor::KeepAnchor);
            cursor.setCharFormat(pf);
        }
    const qreal margin = pageDocument(doc, pdf);
    keepHeadingsWithWhatFollows(doc, margin);
    printPages(doc, pdf, margin);
    return buffer.data();
}

} // namespace wl::report

#include "reportpdf.moc"
