/** Texts the T5 export tests generate from: short ones, and two longer than either tiny T5's maximum relative distance. */

/** Short texts (one with sentinels typed in). */
export const SHORT_TEXTS = [
  "这个手机很好",
  "质量很差，不推荐",
  "快递很快，服务满意",
  "价格太贵了",
  "我喜欢这个老师",
  "孩子很喜欢",
  "体育新闻",
  "财经科技",
  "娱乐游戏都不错",
  "旅游教育汽车房产",
  "真的太差了，失望",
  "还可以吧",
  "东西不错，但是价格有点高",
  "因为质量好所以推荐",
  "他在买东西",
  "你也是",
  "好",
  "<extra_id_0> 很好 <extra_id_1>",
];

/** Longer than both fixtures' `relative_attention_max_distance` (12 and 128 tokens). */
export const LONG_TEXTS = ["这个手机很好，质量不错，价格可以，快递很快，服务满意。".repeat(8), "我很喜欢".repeat(40)];
