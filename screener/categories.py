"""The categories of the corpus: the 20 schemes of the field guide with their names, ordinary and
hard-negative ads, channels and evasions. Plain constants, so scoring reads them without loading the corpus."""

SUSPICIOUS_CATEGORIES = (
    "elder_service", "elder_project", "elder_product", "house_pension", "pension_insurance", "elder_aid",
    "high_yield", "private_fund", "original_shares", "crypto", "consumption_rebate", "coop_deposit",
    "art_shares", "crowdfunding", "stock_tips", "forex_futures", "pyramid", "project_investment",
    "property_leaseback", "loan_fraud",
)
ELDER_CATEGORIES = SUSPICIOUS_CATEGORIES[:6]
OTHER_SCHEME = "other"
SCHEME_NAMES = {
    "elder_service": "养老服务（预售床位、会员卡返利）", "elder_project": "养老项目投资", "elder_product": "养老产品返本回购",
    "house_pension": "以房养老", "pension_insurance": "代办养老保险", "elder_aid": "养老帮扶互助",
    "high_yield": "高息理财", "private_fund": "私募基金、P2P平台", "original_shares": "原始股",
    "crypto": "虚拟货币、区块链、数字藏品", "consumption_rebate": "消费返利", "coop_deposit": "合作社吸储",
    "art_shares": "艺术品、邮币卡份额", "crowdfunding": "众筹、公益名义", "stock_tips": "荐股带单",
    "forex_futures": "外汇、期货配资", "pyramid": "传销拉人头", "project_investment": "项目加盟保底",
    "property_leaseback": "售后包租、返本销售", "loan_fraud": "非法放贷、贷款诈骗", OTHER_SCHEME: "其他",
}
ORDINARY_CATEGORIES = (
    "telecom", "retail", "bank_card", "catering", "real_estate", "loan_licensed", "auto", "home",
    "insurance_agent", "jobs", "education", "delivery", "travel", "services", "listing_misc",
)
HARD_NEGATIVE_CATEGORIES = (
    "anti_fraud_notice", "news", "gov_notice", "elder_care_licensed", "bank_insurance", "community_service",
    "chat_money", "finance_post",
)
NORMAL_CATEGORIES = ORDINARY_CATEGORIES + HARD_NEGATIVE_CATEGORIES
CHANNELS = ("sms", "flyer", "wechat", "listing", "poster", "post", "news")
EVASIONS = ("none", "spaced", "fullwidth", "traditional", "emoji", "homophone", "pinyin", "mixed", "masked",
            "lookalike")
