"""Schemes, contacts, campaigns and the risk ledger (风险台账)."""
import json
import random

import openpyxl
import pandas as pd
from click.testing import CliRunner

import predict
from features.contacts import find_contacts
from features.normalise import clean
from screener.campaigns import CampaignGrouper
from screener.corpus import SCHEME_NAMES, duplicate_key
from screener.ledger import COLUMNS, LEDGER_SHEET, SUMMARY_SHEET


def run(args, input=None):
    return CliRunner().invoke(predict.main, args, input=input)


def contacts(text):
    return [(c.kind, c.value, text[c.start:c.end]) for c in find_contacts(clean(text), text)]


def test_contacts_are_found_normalised_and_point_at_the_original():
    text = "加薇信 abc_123 或 v信：hk886，电话１３９ １２３４ ５６７８，QQ群 12345678，网址 http://t.cn/Ab12，汇款 6222 0212 3456 7890"
    found = contacts(text)
    assert ("wechat", "abc_123", "abc_123") in found and ("wechat", "hk886", "hk886") in found
    assert ("phone", "13912345678", "１３９ １２３４ ５６７８") in found
    assert ("qq", "12345678", "12345678") in found
    assert ("url", "http://t.cn/ab12", "http://t.cn/Ab12") in found
    assert ("account", "6222021234567890", "6222 0212 3456 7890") in found
    assert contacts("热线 400-800-1234，座机 0571-88886666") == [
        ("phone", "4008001234", "400-800-1234"), ("phone", "057188886666", "0571-88886666")]
    assert contacts("今天天气不错，我们去公园") == []


def test_a_masked_number_is_shown_masked_not_as_made_up_digits():
    assert contacts("电话138****5678") == [("phone", "138****5678", "138****5678")]
    assert contacts("来电xxxxxxxxxxx") == [("phone", "***********", "xxxxxxxxxxx")]
    assert contacts("咨询400-xxx-xxxx，热线0571-8888xxxx") == [
        ("phone", "400*******", "400-xxx-xxxx"), ("phone", "05718888****", "0571-8888xxxx")]


def test_predict_names_the_scheme_and_the_contacts(models_dir):
    ad = "退休操盘手建群，每天免费推荐涨停牛股，人满即封，加V：gupiao668，电话 139 1234 5678"
    obj = json.loads(run(["--json", ad]).output)
    assert obj["flagged"] is True
    assert obj["scheme"] == "stock_tips" and obj["scheme_name"] == SCHEME_NAMES["stock_tips"]
    assert 0.35 <= obj["scheme_confidence"] <= 1
    assert {(c["kind"], c["value"]) for c in obj["contacts"]} == {("wechat", "gupiao668"), ("phone", "13912345678")}
    for c in obj["contacts"]:
        assert set(c) == {"kind", "value", "start", "end"}
    human = run([ad]).output
    assert "涉嫌类型: 荐股带单" in human and "联系方式: 微信:gupiao668; 电话:13912345678" in human
    normal = json.loads(run(["--json", "【鲜果坊】今日车厘子特价39元一斤，会员再享9折，回T退订"]).output)
    assert normal["flagged"] is False and normal["scheme"] is None


def shingles(text):
    key = duplicate_key(text)
    return {key[i:i + 4] for i in range(max(len(key) - 3, 1))}


def jaccard(a, b):
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


TEMPLATES = [
    "叔叔阿姨们好，{n}号康养基地二期床位开始认购，年化收益{r}%，五年到期原价回购，保本保息，政府扶持项目，"
    "名额不多先到先得，详询{who}经理{phone}",
    "退休操盘手{who}老师建了一个炒股交流群，每天收盘后免费推荐两只涨停牛股，不收任何费用，人满即封，"
    "想进群的朋友加微信gp{n}，电话{phone}",
    "{who}家临街旺铺火热出售，开发商统一包租{r}年，每年租金回报{r}%，首付只要{n}万，买到就是赚到，"
    "看房热线{phone}",
    "急用钱找我们，不看征信不看负债，黑户白户都能贷，凭一张身份证当天放款{n}万，月息低至{r}厘，"
    "先到先得，{who}经理{phone}",
    "本村农民合作社面向乡亲吸收存款，月息{r}分，年底连本带息一次结清，存满{n}万还送米面油，"
    "有意者找{who}会计{phone}",
]


def variants(template, k, rng):
    """Sends of one template: each changes one of its fields (a number, a rate, a name or the phone)."""
    names = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"]

    def phone():
        return f"1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}"

    base = {"n": rng.randint(1, 99), "r": rng.randint(5, 20), "who": rng.choice(names), "phone": phone()}
    out = []
    for _ in range(k):
        fields = dict(base)
        changed = rng.choice(list(fields))
        fields[changed] = {"n": rng.randint(1, 99), "r": rng.randint(5, 20), "who": rng.choice(names),
                           "phone": phone()}[changed]
        out.append(template.format(**fields))
    return out


def test_campaigns_group_near_identical_flagged_ads(screener):
    rng = random.Random(7)
    texts = [t for template in TEMPLATES for t in variants(template, 12, rng)]
    rng.shuffle(texts)
    results = screener.analyse(texts)
    grouper = CampaignGrouper()
    campaign = {}
    for row, (text, result) in enumerate(zip(texts, results), 1):
        assert result.flagged, text
        campaign[row] = grouper.assign(row, text, result)
    pairs = [(i, j) for i in campaign for j in campaign if i < j and jaccard(texts[i - 1], texts[j - 1]) >= 0.8]
    same = sum(campaign[i] == campaign[j] for i, j in pairs)
    assert len(pairs) > 100 and same / len(pairs) >= 0.9
    assert len(grouper.campaigns) <= 2 * len(TEMPLATES)  # templates are found, not one campaign per text
    assert sum(c.count for c in grouper.campaigns.values()) == len(texts)


def test_rows_sharing_a_contact_share_a_campaign(screener):
    texts = ["养老公寓床位认购，年化收益18%，到期回购，详询13900001111",
             "原始股内部认购，上市翻十倍，名额有限，联系13900001111"]
    grouper = CampaignGrouper()
    ids = [grouper.assign(i, t, r) for i, (t, r) in enumerate(zip(texts, screener.analyse(texts)), 1)]
    assert ids[0] == ids[1]


def test_a_masked_number_groups_nothing(screener):
    texts = ["养老公寓床位认购，年化收益18%，到期回购，详询139****1111",
             "原始股内部认购，上市翻十倍，名额有限，联系139****1111"]
    grouper = CampaignGrouper()
    ids = [grouper.assign(i, t, r) for i, (t, r) in enumerate(zip(texts, screener.analyse(texts)), 1)]
    assert all(r.contacts for r in screener.analyse(texts))
    assert ids[0] != ids[1]  # the same masked digits may stand for any two numbers


def test_batch_writes_campaigns_and_the_ledger(models_dir, tmp_path):
    rng = random.Random(11)
    flagged_texts = [t for template in TEMPLATES[:3] for t in variants(template, 5, rng)]
    normal = ["【鲜果坊】今日车厘子特价39元一斤，会员再享9折，回T退订", "本周六社区义诊，免费测血压，欢迎居民参加",
              "二手冰箱转让，九成新，300元自提"]
    texts = flagged_texts + normal * 3
    rng.shuffle(texts)
    regions = [rng.choice(["东城区", "西城区", "南湖镇"]) for _ in texts]
    src = tmp_path / "listings.csv"
    pd.DataFrame({"内容": texts, "发布时间": [f"2026-11-{i % 28 + 1:02d}" for i in range(len(texts))],
                  "来源": "某分类网站", "地区": regions}).to_csv(src, index=False, encoding="gb18030")
    out, ledger = tmp_path / "screened.csv", tmp_path / "风险台账.xlsx"
    result = run(["--input", str(src), "-o", str(out), "--ledger", str(ledger), "-q"])
    assert result.exit_code == 0, result.output
    screened = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    assert len(screened) == len(texts)
    flagged = screened[screened["flagged"].astype(str) == "True"]
    assert (flagged["campaign"] != "").all() and (screened.loc[screened["flagged"].astype(str) != "True", "campaign"] == "").all()
    book = openpyxl.load_workbook(ledger)
    assert book.sheetnames == [LEDGER_SHEET, SUMMARY_SHEET]
    sheet = book[LEDGER_SHEET]
    header = [c.value for c in sheet[1]]
    assert header == list(COLUMNS) + ["首次出现", "末次出现", "来源", "地区"]
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert sum(r["出现次数"] for r in rows) == len(flagged)
    listed = [int(n) for r in rows for n in str(r["行号"]).split(",")]
    assert sorted(listed) == sorted((flagged.index + 1).tolist())  # every flagged row in exactly one lead
    assert len(rows) <= 6
    levels = [r["风险等级"] for r in rows]
    assert levels == sorted(levels, key=lambda lv: {"高": 0, "中": 1}[lv])
    assert all(r["处置建议"].split("（")[0] in ("风险提示", "约谈整改", "移交主管部门", "移送公安") for r in rows)
    assert all(r["处置情况"] in (None, "") for r in rows)
    assert any("13" in (r["联系方式"] or "") for r in rows)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    summary = book[SUMMARY_SHEET]
    assert summary["A1"].value == "涉嫌类型" and summary._charts
    assert any(row[0] == "南湖镇" for row in summary.iter_rows(values_only=True))


def test_every_mobile_number_of_a_campaign_is_in_its_contacts(models_dir, tmp_path):
    rng = random.Random(3)
    texts = variants(TEMPLATES[1], 8, rng)
    src = tmp_path / "in.txt"
    src.write_text("\n".join(texts), encoding="utf-8")
    ledger = tmp_path / "l.xlsx"
    assert run(["--input", str(src), "-o", str(tmp_path / "o.csv"), "--ledger", str(ledger), "-q"]).exit_code == 0
    rows = list(openpyxl.load_workbook(ledger)[LEDGER_SHEET].iter_rows(min_row=2, values_only=True))
    listed = " ".join(r[5] for r in rows)
    for text in texts:
        phone = text[-11:]
        assert phone in listed


def test_ledger_errors_are_in_chinese(models_dir, tmp_path):
    result = run(["--ledger", str(tmp_path / "l.xlsx"), "保本保息"])
    assert result.exit_code == 2 and "--ledger 需要与 --input 一起使用" in result.output
    src = tmp_path / "in.txt"
    src.write_text("保本保息年化18%\n", encoding="utf-8")
    result = run(["--input", str(src), "--ledger", str(tmp_path / "l.csv")])
    assert result.exit_code == 1 and "须为 Excel 文件" in result.output
    result = run(["--input", str(src), "--ledger", str(tmp_path / "l.xlsx"), "--region-column", "城市"])
    assert result.exit_code == 1 and "没有列 '城市'" in result.output


def test_formula_like_cells_are_written_inert(models_dir, tmp_path):
    src = tmp_path / "in.csv"
    bad = '=HYPERLINK("http://x.cn","点击领取养老金")'
    pd.DataFrame({"text": [bad, "+1 保本保息", "@SUM(A1)"]}).to_csv(src, index=False)
    for name in ("out.xlsx", "out.csv"):
        out = tmp_path / name
        assert run(["--input", str(src), "-o", str(out), "-q"]).exit_code == 0
        if name.endswith(".xlsx"):
            cells = [c.value for c in openpyxl.load_workbook(out).active["A"][1:]]
            types = [c.data_type for c in openpyxl.load_workbook(out).active["A"][1:]]
            assert types == ["s", "s", "s"]
        else:
            cells = pd.read_csv(out, encoding="utf-8-sig")["text"].tolist()
        assert cells == ["'" + bad, "'+1 保本保息", "'@SUM(A1)"]


def test_only_the_cells_that_need_it_are_changed_in_a_csv(models_dir, tmp_path):
    """A column is searched once for what could need care; the cells that do are fixed wherever they stand,
    and the others (a line inside a cell that starts with '=' included) are written as they were."""
    src = tmp_path / "in.csv"
    texts = ["月息2分 保本", "正常的广告\x07文字", "年化18%\n=稳赚", "-5% 清仓", "普通通知"]
    pd.DataFrame({"text": texts}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    assert run(["--input", str(src), "-o", str(out), "-q"]).exit_code == 0
    cells = pd.read_csv(out, encoding="utf-8-sig")["text"].tolist()
    assert cells == ["月息2分 保本", "正常的广告文字", "年化18%\n=稳赚", "'-5% 清仓", "普通通知"]
    plain = tmp_path / "plain.csv"
    pd.DataFrame({"text": ["月息2分 保本", "普通通知"]}).to_csv(plain, index=False)
    assert run(["--input", str(plain), "-o", str(out), "-q"]).exit_code == 0
    assert pd.read_csv(out, encoding="utf-8-sig")["text"].tolist() == ["月息2分 保本", "普通通知"]


def test_a_column_is_made_safe_exactly_as_cell_by_cell():
    """The one-search path gives what calling safe_cell on every cell gives, over random columns of text with
    formula starts, control characters, half characters, newlines and missing cells."""
    import random

    from screener.tables import _safe_column, safe_cell

    pieces = ["保本", "年化18%", "=1+1", "+86", "-5%", "@SUM", "\t", "\r", "\n", "\n=", "\x07", "\ud800", " ", "a"]
    rng = random.Random(3)
    changed = 0
    for _ in range(300):
        cells = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(0, 30))]
        cells = [None if rng.random() < 0.1 else c for c in cells]
        kinds = [pd.Series(cells, dtype=object)]
        if not any(c and "\ud800" in c for c in cells):  # a category is stored as UTF-8, which has no half characters
            kinds.append(kinds[0].astype("category"))
        for series in kinds:
            expected = series.map(safe_cell)
            got = _safe_column(series)
            assert got.tolist() == expected.tolist() or (
                [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in expected])
            changed += got.tolist() != series.tolist()
    assert changed > 100
