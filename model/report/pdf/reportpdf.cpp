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
#include <QTextObjectInterface>

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
    // print() lays out on the writer's pixels (points at 72 dpi) inside margins of 2 cm.
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
    doc.print(&pdf);
    return buffer.data();
}

} // namespace wl::report

#include "reportpdf.moc"
