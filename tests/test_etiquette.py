"""The etiquette score: which criteria apply when, and what meets them."""

from __future__ import annotations

import pytest

from assistant.checker import Checker
from assistant.config import Settings
from assistant.etiquette import MET_BY_CUES, VETO_CRITERIA, Context, veto_rows


@pytest.mark.parametrize(
    ("reply", "context", "criterion", "applicable", "met"),
    [
        pytest.param("您好,请问您要办理什么业务?", "你好,我想办个证。", "greeting", True, 1.0, id="greeting when the citizen arrives"),
        pytest.param("请问您要办理什么业务?", "你好,我想办个证。", "greeting", True, 0.0, id="no greeting when the citizen arrives"),
        pytest.param("好的,请慢走。", "谢谢,那我先走了。", "farewell", True, 1.0, id="farewell when the citizen leaves"),
        pytest.param("对不起,让您久等了。", "我等了一个小时了!", "apology", True, 1.0, id="apology after a long wait"),
        pytest.param("下一位。", "我等了一个小时了!", "apology", True, 0.0, id="no apology after a long wait"),
        pytest.param("你把表填一下。", None, "honorific", True, 0.0, id="你 instead of 您"),
        pytest.param("还差户口本、结婚证和照片三样。", "我材料够了吗?", "one_time_notice", True, 1.0, id="all missing items at once"),
        pytest.param("还差户口本,先拿来再说。", "我材料够了吗?", "one_time_notice", True, 0.0, id="only one missing item"),
        pytest.param("请您到3号窗口办理。", None, "redirect_named", True, 1.0, id="redirect names the window"),
        pytest.param("您到别的窗口问问吧。", None, "redirect_named", True, 0.0, id="vague redirect"),
        pytest.param("对不起,根据《居住证暂行条例》,这项不能代办。", None, "refusal_reason", True, 1.0, id="refusal with the regulation"),
        pytest.param("对不起,根据规定不能代办。", None, "refusal_reason", True, 0.5, id="the rules invoked without saying which: half"),
        pytest.param("对不起,这个办不了。", None, "refusal_reason", True, 0.0, id="refusal without a reason"),
        pytest.param("这是您自己没看清楚。", None, "no_arguing", True, 0.0, id="blaming the citizen"),
        pytest.param("您好。", None, "farewell", False, 0.0, id="farewell not expected mid-visit"),
        pytest.param("三个工作日内到账,到账会有短信提醒。", "钱什么时候能到?", "time_given", True, 1.0, id="a time when asked when"),
        pytest.param("审批完了就会到账,您再等等。", "钱什么时候能到?", "time_given", True, 0.0, id="no time when asked when"),
        pytest.param("谢谢您的建议,我马上反映给大厅管理。", "提个意见,叫号屏太小了。", "thanks_feedback", True, 1.0, id="thanks for a suggestion"),
        pytest.param("屏幕是统一配的,您多留意听叫号声吧。", "提个意见,叫号屏太小了。", "thanks_feedback", True, 0.0, id="a suggestion explained away"),
        pytest.param("您先拿劳动合同来吧,没问题再说其他的。", "补缴社保需要啥?", "one_time_notice", True, 0.0, id="one item now, the rest later"),
        pytest.param("上次肯定说了要原件,是您没记住。", None, "no_arguing", True, 0.0, id="telling the citizen they forgot"),
        pytest.param("好的,清单您收好,您慢走。", "那我明天再带材料来。", "farewell", True, 1.0, id="farewell when the citizen says they will come back"),
        pytest.param("税务登记在税务那边,您取个号过去看看吧。", None, "redirect_named", True, 0.0, id="a vague place still sends the citizen off"),
        pytest.param("您找个附近的派出所办一下就行。", None, "redirect_named", True, 0.0, id="any nearby office is not a named one"),
        pytest.param("就近到城西派出所户籍室办理就行。", None, "redirect_named", True, 1.0, id="a named police station"),
        pytest.param("今天拿不到,因为要送公安统一制证。", None, "refusal_reason", True, 1.0, id="cannot get it today, with the reason"),
        pytest.param("今天拿不到,到时候再来取。", None, "refusal_reason", True, 0.0, id="cannot get it today, no reason"),
        pytest.param("你们俩到里间拍照室,拍完回这儿。", None, "honorific", True, 0.0, id="你们俩 addresses the citizens"),
        pytest.param("您自己没按样表写,您改一下吧。", None, "no_arguing", True, 0.0, id="blaming the citizen for not following the sample"),
        pytest.param("地址是按您填的表录的,我给您改一下吧。", None, "no_arguing", True, 0.0, id="the error put back on the citizen's form"),
        pytest.param("今天来的人特别多,您要办什么业务?", "我从早上八点排到现在。", "apology", True, 0.0, id="a long queue with no apology"),
        pytest.param("很抱歉超时了,我现在就催办。", "说三天办好,今天都第七天了。", "apology", True, 1.0, id="an apology for an overdue case"),
        pytest.param("好的,补贴下个月开始发。", "那我们老两口就回去了。", "farewell", True, 0.0, id="the citizens leave without a farewell"),
        pytest.param("空调是统一控制的,您多穿件衣服吧。", "你们这儿空调太冷了。", "thanks_feedback", True, 0.0, id="a complaint about the hall explained away"),
        pytest.param("请带身份证到12号公积金窗口办理。", None, "redirect_named", True, 1.0, id="a numbered window with its name"),
        pytest.param("对不起,迁到朋友家是办不成的,您再想想别的办法吧。", None, "refusal_reason", True, 0.0, id="别的办法 is not a regulation"),
        pytest.param("请把身份证给我。", "(走到窗口)换驾照。", "greeting", True, 0.0, id="a stage direction says the citizen just arrived"),
        pytest.param("公积金中心,请讲。", "(电话)喂?是公积金中心吗?", "greeting", True, 0.0, id="a phone call opens without 您好"),
        pytest.param("证还没寄到,到了通知您。", "上次说今天能拿证,怎么又没好?", "apology", True, 0.0, id="the citizen came for nothing"),
        pytest.param("好的,明天直接来9号窗口找我。", "那我明天签好字再拿过来。", "farewell", True, 0.0, id="leaving to come back tomorrow"),
        pytest.param("您先把身份证带来,拿来了我再看。", "给孩子办护照要带什么?", "one_time_notice", True, 0.0, id="the rest promised once they bring one item"),
        pytest.param("后面需要什么我一点一点告诉您。", "注销要带什么?", "one_time_notice", True, 0.0, id="piecemeal, step by step"),
        pytest.param("对不起,这个不方便告诉您。", None, "refusal_reason", True, 0.0, id="a privacy refusal without its reason"),
        pytest.param("您到其他地方找找看。", None, "redirect_named", True, 0.0, id="sent to somewhere else"),
        pytest.param("是您自己在网上把卡号填错了。", None, "no_arguing", True, 0.0, id="the mistake put on the citizen"),
        pytest.param("您填的时候也该核对一下的。", None, "no_arguing", True, 0.0, id="what the citizen should have done"),
        pytest.param("您应该先到3号窗口取号。", None, "no_arguing", True, 1.0, id="an instruction is not blame"),
        pytest.param("正在制证,预计下周三可以来领。", "怎么还没批下来?", "time_given", True, 1.0, id="an expected day"),
        pytest.param("正在重启,很快就好。", "我的执照怎么还打不出来?", "time_given", True, 0.0, id="soon is not a time"),
        pytest.param("最新政策以窗口解释为准。", "你们网站上的政策文件早过期了。", "thanks_feedback", True, 0.0, id="an outdated website pointed out"),
        pytest.param("今天先不给二位登记了,回去再商量商量。", None, "refusal_reason", True, 0.0, id="不给…登记 is a refusal"),
        pytest.param("刻章是另外一项业务,您咨询一下相关部门。", None, "redirect_named", True, 0.0, id="相关部门 names nothing"),
        pytest.param("应该是您自己合同没看仔细。", None, "no_arguing", True, 0.0, id="the citizen did not read carefully"),
        pytest.param("您慢走,有需要欢迎再来。", "(群众领到证书,起身准备离开)", "farewell", True, 1.0, id="a stage direction says the citizen leaves"),
        pytest.param("在的,个体户登记可以网上办。", "(在线咨询弹出新会话)在吗?", "greeting", True, 0.0, id="a new chat session opens a conversation"),
        pytest.param("机器卡纸了,我把机柜打开取出来。", "(自助机吐了一半卡住了)我的发票卡里面了!", "apology", True, 0.0, id="a jammed machine inconveniences the citizen"),
        pytest.param("昨天的答复说得简单了,要先备案。", "你们昨天说可以直接在药店报,我去了药店说不能报啊。", "apology", True, 0.0, id="an earlier answer turned out wrong"),
        pytest.param("门口有个小坡,我扶您下去,慢走。", "(引导员推到门口)今天真是麻烦你们了。", "farewell", True, 1.0, id="thanks for the trouble at the door ends a visit"),
        pytest.param("不好意思,这个情况我们这边办理不了。", None, "refusal_reason", True, 0.0, id="办理不了 is a refusal"),
        pytest.param("您先传这两样,系统审核后还缺什么会再短信提示您。", "开公司要准备哪些材料?", "one_time_notice", True, 0.0, id="the rest left to the system later"),
        pytest.param("当时填完要是核对一下就好了,我给您改过来。", None, "no_arguing", True, 0.0, id="hindsight put on the citizen"),
        pytest.param("这本来出院时就该一起拿的。", None, "no_arguing", True, 0.0, id="what the citizen should have brought"),
        pytest.param("大爷,您这个意见很在理,我今天就报上去。", "你们这牌子上的字这么小,老年人怎么看得清?", "thanks_feedback", True, 1.0, id="agreeing with a complaint about small print"),
        pytest.param("复印三份是各科室存档要求。", "同一个身份证复印三份,浪费不浪费?", "thanks_feedback", True, 0.0, id="a complaint about waste explained away"),
        pytest.param("高龄津贴不归我们这儿,由街道的社会救助窗口受理。", None, "redirect_named", True, 1.0, id="a window named by its business"),
        pytest.param("住院报销不是我们这个窗口负责的,您到别的窗口问一问。", None, "redirect_named", True, 0.0, id="our own window is not a place named"),
        pytest.param("谢谢您告诉我们,您这次我先在窗口帮您拍。", None, "redirect_named", False, 0.0, id="serving at this window sends nobody away"),
        pytest.param("约不上是因为您选的都是热门日子。", None, "no_arguing", True, 0.0, id="the failure put down to the citizen's choice"),
        pytest.param("回来了刘女士,复印件给我吧。", "(上午去复印的刘女士下午回到同一个窗口)我复印好了。", "greeting", True, 0.0, id="a citizen back after a break is greeted again"),
        pytest.param("这个事在我们窗口办,您把材料给我。", "楼上说归你们,你们又让我去楼上,我来回跑三趟了!", "apology", True, 0.0, id="sent back and forth"),
        pytest.param("对不起,优待证要年满60周岁才能办,您还差两年。", "能给我办一个吗?", "one_time_notice", False, 0.0, id="还差两年 is no missing item"),
        pytest.param("请您到出入境的办事地点去。", None, "redirect_named", True, 0.0, id="an office's place names nothing"),
        pytest.param("您应该早点在六月底前报的。", None, "no_arguing", True, 0.0, id="you should have done it earlier"),
        pytest.param("上次电话里是说了要带户口本的,可能您记岔了。", None, "no_arguing", True, 0.0, id="the citizen misremembered"),
        pytest.param("等候区的椅子是按场地面积配的。", "你们大厅等候区椅子太少了。", "thanks_feedback", True, 0.0, id="too few chairs is feedback"),
        pytest.param("需要帮忙吗?您是要打印完税证明吗?", "(一位男子在自助机前来回点了几次屏幕,面露困惑)", "greeting", True, 0.0, id="approaching someone hesitating is an opening"),
        pytest.param("签这三处画圈的地方,再按个手印。", None, "honorific", True, 0.5, id="bare instructions to sign"),
        pytest.param("请您在这三处画圈的地方签名。", None, "redirect_named", False, 0.0, id="places on a form send nobody away"),
        pytest.param("网上的信息还没更新,现在需要照片。", "网上写的是不用带照片,结果你们这里说要照片?", "apology", True, 0.0, id="misled by the hall's own notice"),
        pytest.param("我们继续核对您的信息。", "(视频核查中断后重新接通)刚才怎么断了?", "apology", True, 0.0, id="a dropped call inconvenienced the citizen"),
        pytest.param("不客气,Goodbye,欢迎您再来!", "Thank you, bye!", "farewell", True, 1.0, id="goodbye in English"),
        pytest.param("补传后我们会尽快审核。", "(视频预审结束)那我回头把学历认证补传上来。", "farewell", True, 0.0, id="the end of a video session"),
        pytest.param("技术人员估计下午两点前修好,您两点以后过来。", "系统坏了,那我什么时候再来?", "time_given", True, 1.0, id="an hour of the day is a time"),
        pytest.param("谢谢您提这个意见,我会转给大厅管理部门。", "你们这自助机字小又全是拼音,我们老人怎么用?", "redirect_named", False, 0.0, id="forwarding feedback sends nobody away"),
        pytest.param("这台机器可以放大字体。", "你们这自助机字小又全是拼音,我们老人怎么用?", "thanks_feedback", True, 0.0, id="small print on a machine is feedback"),
        pytest.param("是您自己把身份证号少填了一位,请您改一下。", None, "no_arguing", True, 0.0, id="the citizen's own mistake pointed out"),
        pytest.param("上次我已经跟您说过要带原件了。", None, "no_arguing", True, 0.0, id="I told you so"),
        pytest.param("红底的要求预约时就提示过您了。", None, "no_arguing", True, 0.0, id="you were reminded already"),
        pytest.param("退回原因是扫描件不清晰,这是您上传的问题。", None, "no_arguing", True, 0.0, id="your upload's problem"),
        pytest.param("政策调整又不是我们窗口定的,您跟我争也没用。", None, "no_arguing", True, 0.0, id="arguing is no use"),
        pytest.param("公积金贷款不属于税务热线的业务,请您拨打市公积金管理中心的服务热线12329咨询。", None, "redirect_named", True, 1.0, id="a hotline named by its number"),
        pytest.param("工作许可不在这里办,请您到负责的部门窗口办理。", None, "redirect_named", True, 0.0, id="the responsible department is not named"),
        pytest.param("低保不在我们残联窗口受理,请您到其他对应的窗口办理。", None, "redirect_named", True, 0.0, id="our own window named, then an unnamed one"),
        pytest.param("早啊大爷!是这儿,您先坐下歇歇。", "(早上刚开门,一位老大爷走到老年卡窗口)办老年卡是这儿不?", "greeting", True, 1.0, id="早啊 is a greeting"),
        pytest.param("能办啊大娘,您上车坐着说。", "(一位大娘探头往服务车里看)这车上能办医保不?", "greeting", True, 0.0, id="someone peering in is an opening"),
        pytest.param("让您受累了,今天人特别多。", "(等了四十分钟终于叫到号)腿都站麻了。", "apology", True, 1.0, id="让您受累了 is an apology"),
        pytest.param("在的,查到了,公积金已经到账了。", "(电话里被搁置了两分钟)喂?还在吗?", "apology", True, 0.0, id="two minutes on hold"),
        pytest.param("妥了,证您揣好,回见啊大哥,开车慢点儿!", "妥了是吧?那我撤了。", "farewell", True, 1.0, id="回见 and drive safely"),
        pytest.param("明天上午十点以后就能到二楼领证明。", "我那个抵押注销办了没,急着用。", "time_given", True, 1.0, id="办了没 asks when"),
        pytest.param("您这个提醒很及时!我报给大厅办公室。", "我建议你们大厅多摆几副老花镜。", "thanks_feedback", True, 1.0, id="a timely reminder is thanks"),
        pytest.param("后头是听不大清爽,您坐到前排来好了。", "这个叫号广播声音太轻了,我坐在后头听不到。", "thanks_feedback", True, 0.0, id="a quiet announcement is feedback"),
        pytest.param("我记上了,看能不能加个大字模式。", None, "refusal_reason", False, 0.0, id="能不能 is no refusal"),
        pytest.param("这个认证您替不了她,我们下午上门给王婶办。", None, "refusal_reason", True, 0.0, id="替不了 is a refusal"),
        pytest.param("护照请在“移民局”微信公众号里预约。", None, "redirect_named", True, 1.0, id="a platform named in quotes"),
        pytest.param("这事属于市政排水,您拨12345市民热线反映。", None, "redirect_named", True, 1.0, id="a hotline dialled by number"),
        pytest.param("短信里写了一到三个工作日到账的,您可能没仔细看。", None, "no_arguing", True, 0.0, id="you did not read carefully"),
        pytest.param("系您提交之后冇点确认,个APP提示得好清楚㗎。", None, "no_arguing", True, 0.0, id="the app was clear enough"),
        pytest.param("应该是您自己点错日期了,我帮您看看。", None, "no_arguing", True, 0.0, id="you clicked the wrong date"),
        pytest.param("谢谢您告诉我们,这个事情我们已经知道了。", "刚才那个窗口的小伙子态度很差,我要反映一下。", "thanks_feedback", True, 0.5, id="thanks with nothing to follow is half"),
        pytest.param("谢谢您告诉我们,督查室会在三个工作日内核实并打电话告诉您。", "刚才那个窗口的小伙子态度很差,我要反映一下。", "thanks_feedback", True, 1.0, id="thanks and what happens next"),
        pytest.param("拿三个员工的身份证复印件和劳动合同来,增员表盖上公司公章。", None, "honorific", True, 0.5, id="bare orders to bring papers"),
        pytest.param("我们下午正常办公,您早点过来取号。", "你们下午几点下班?", "greeting", False, 0.0, id="您早点 is no greeting"),
        pytest.param("您的工单已转给区城管执法局,5个工作日内处理。", None, "redirect_named", False, 0.0, id="处理 is no place"),
        pytest.param("您好,欢迎来到市场主体登记窗口!请问您要办什么?", "(一位年轻人在窗口前来回走了几趟,欲言又止)", "farewell", False, 0.0, id="walking back and forth is no leaving"),
        pytest.param("您好,欢迎来到市场主体登记窗口!请问您要办什么?", None, "redirect_named", False, 0.0, id="welcome to this window is no redirect"),
        pytest.param("非常抱歉,原件在流转时放错了科室,现在已经找回来了。", None, "redirect_named", False, 0.0, id="a misplaced file is no redirect"),
        pytest.param("公积金贷款额度请您拨打公积金那边的电话咨询。", None, "redirect_named", True, 0.0, id="a hotline to dial without its number"),
        pytest.param("公积金贷款额度请拨打住房公积金服务热线12329。", None, "redirect_named", True, 1.0, id="a hotline to dial by number"),
        pytest.param("大爷,看这儿,看摄像头,别动。", None, "honorific", True, 0.5, id="bare orders at the camera"),
        pytest.param("这个事项就在我们这里办,您请坐。", "我从三楼被打发到一楼,一楼又叫我回三楼。", "apology", True, 0.0, id="sent back and forth calls for an apology"),
        pytest.param("没关系,钱三个工作日内到账,请慢走。", "(临近下班,市民办完公积金提取)给你们添麻烦了。", "farewell", True, 1.0, id="done with the business calls for a farewell"),
        pytest.param("材料齐全的话审核通过就能打印。", "执照今天能拿吗?", "time_given", True, 0.0, id="ready today asks when"),
        pytest.param("您的申请已进入审批,您是3月4日提交的,有结果会短信通知您。", "贷款申请多久能审批下来?", "time_given", True, 0.0, id="the date the citizen applied gives no time"),
        pytest.param("感谢您的反馈,我已经把问题提交给技术部门排查。", "你们这个App人脸识别老是失败,太难用了!", "thanks_feedback", True, 1.0, id="passed on for investigation is a follow-up"),
        pytest.param("这个建议很好,谢谢您!", "我觉得你们应该让填表的人先做个预审。", "thanks_feedback", True, 0.5, id="a suggestion to the hall calls for thanks and a follow-up"),
        pytest.param("我们都是按规定答复的,肯定是您当时听错了。", None, "no_arguing", True, 0.0, id="sure the citizen misheard"),
        pytest.param("我查了,是您自己登记的时候少写了一位,可不能怪我们。", None, "no_arguing", True, 0.0, id="do not blame us"),
        pytest.param("网站栏目很清楚,很多人都能找到,您再仔细找找。", None, "no_arguing", True, 0.0, id="everyone else manages"),
        pytest.param("政策肯定不是骗人的,是有条件的。", None, "no_arguing", True, 0.0, id="rebutting 骗人 before looking"),
        pytest.param("我现在帮您改过来,登记的手机号少了一位。", None, "one_time_notice", False, 0.0, id="a missing digit is no missing document"),
        pytest.param("退休人员医保待遇核定在三楼办理,您坐电梯上去就是。", None, "redirect_named", True, 0.5, id="a floor alone is half the place"),
        pytest.param("退休人员医保待遇核定在三楼医保科312室办理。", None, "redirect_named", True, 1.0, id="the floor and the office are the place"),
        pytest.param("人才生活补贴不在我们这儿办,您到B区那边问一下。", None, "redirect_named", True, 0.5, id="a zone alone is half the place"),
        pytest.param("补换社保卡在我们大厅是即办件,当场就能制卡。", None, "redirect_named", False, 0.0, id="在我们大厅 is here"),
        pytest.param("外国人签证延期在别的区域办理,您再往里面找一找。", None, "redirect_named", True, 0.0, id="another area further in is a vague redirect"),
        pytest.param("高龄津贴由户籍所在街道(乡镇)便民服务中心的民政窗口受理。", None, "redirect_named", True, 1.0, id="the street centre's named window"),
        pytest.param("抱歉,外地户口的我们这儿一律办不了,规定就是这样的。", None, "refusal_reason", True, 0.0, id="规定就是这样 names no rule"),
        pytest.param("抱歉,二位这种情况在我们这儿办不了,我们只能按上面的要求来。", None, "refusal_reason", True, 0.0, id="上面的要求 names no rule"),
        pytest.param("很抱歉,今天肯定拿不到的,没有这种办法。", None, "refusal_reason", True, 0.0, id="没有这种办法 is no regulation"),
        pytest.param("不好意思,这个名字系统通不过,您得换一个。", None, "refusal_reason", True, 0.0, id="the system rejects it is a refusal without reason"),
        pytest.param("人才落户审核要按顺序走,出结果当天会短信通知您。", "人才落户审核要等多久?", "time_given", True, 0.0, id="出结果当天 is no deadline"),
        pytest.param("材料齐全的话,新车注册登记当天办结。", "新车上牌今天能弄完吗?", "time_given", True, 1.0, id="done today asks when and 当天办结 answers"),
        pytest.param("我帮您查了,应该很快就能出证。", "上周交的转移登记,怎么到现在还没出证?", "time_given", True, 0.0, id="still not issued asks when"),
        pytest.param("谢谢您反映的问题,以后会慢慢改进的。", "你们这叫号太乱了!", "thanks_feedback", True, 0.5, id="慢慢改进 promises nothing"),
        pytest.param("谢谢您专门打电话来!我会把您的表扬转给殡葬服务窗口。", "我就是打电话来谢谢你们,那个窗口特别贴心。", "thanks_feedback", True, 1.0, id="praise is thanked and passed on"),
        pytest.param("谢谢您如实评价,三次往返的情况我已报给公积金科科长。", "我给你们打了个差评,材料跑了三趟你们还不改!", "thanks_feedback", True, 1.0, id="a bad rating is thanked with a step"),
        pytest.param("很抱歉,出入境规定加急最短5个工作日。", "护照能不能今天加急拿到?", "thanks_feedback", False, 0.0, id="asking to expedite is no suggestion"),
        pytest.param("您这么说就不对了,我们一直是按规定办的。", None, "no_arguing", True, 0.0, id="that's not the right thing to say"),
        pytest.param("您邻居的情况跟您不一样,拿别人比没有意义。", None, "no_arguing", True, 0.0, id="comparing is pointless"),
        pytest.param("指南是没问题的,很多人照着都办下来了,问题出在您上传的合同上。", None, "no_arguing", True, 0.0, id="the guide is fine and the upload is yours"),
        pytest.param("对,这里就是外国人工作许可窗口。", "Hello……我,外国人,工作许可,这里吗?", "greeting", True, 0.0, id="a foreigner's first words call for a greeting"),
        pytest.param("非常抱歉,预约因系统升级被统一取消。", "我约的今天下午两点,怎么说我的号被取消了?", "apology", True, 1.0, id="a cancelled booking calls for an apology"),
        pytest.param("补换社保卡是即办件,您请坐。", "社保卡丢了,想补一张。", "apology", False, 0.0, id="a card the citizen lost calls for none"),
        pytest.param("是的,申报和缴款都已经成功。行了,下一位准备一下。", "那我这个月的申报就算完成了?", "farewell", True, 0.0, id="business done calls for a farewell"),
        pytest.param("零星报销的承诺时限是20个工作日。", "上次交的手工报销材料,钱啥时候能打过来?", "one_time_notice", False, 0.0, id="materials handed in earlier ask for no list"),
        pytest.param("需要退役证和一些经营相关的材料,您先上传退役证,审核时会告诉您还差什么。", "退役军人创业补贴要什么材料?", "one_time_notice", True, 0.0, id="the review will tell you the rest"),
        pytest.param("张婶,您来啦,快进来坐!", "[村便民服务站,一位村民推门进来] 小王,我来问问养老认证的事。", "greeting", True, 1.0, id="您来啦 greets someone pushing the door open"),
        pytest.param("个税年度汇算是吧,您想了解哪方面?", "[拨打办税服务厅电话,接通] 喂,我问一下个税汇算的事。", "greeting", True, 0.0, id="a call put through calls for a greeting"),
        pytest.param("这个业务涉及两个窗口,您在这儿坐。", "你们到底哪个窗口管?我被推来推去三回了!", "apology", True, 0.0, id="pushed from window to window calls for an apology"),
        pytest.param("这个业务涉及两个窗口,您在这儿坐。", "你们到底哪个窗口管?我被推来推去三回了!", "farewell", False, 0.0, id="三回了 is no going back"),
        pytest.param("我现在就请不动产窗口的同事过来给您办。", None, "redirect_named", False, 0.0, id="现在 is no 在 a place"),
        pytest.param("指示牌的问题我回头就报给综合管理科,我先带您去公证处。", None, "redirect_named", True, 1.0, id="taking the citizen there names the place"),
        pytest.param("物业不处理的,我帮您登记工单,转到相关部门督办。", None, "redirect_named", True, 0.0, id="passed to the relevant department names nothing"),
        pytest.param("抱歉,上个月的发票这边作废不了。", None, "refusal_reason", True, 0.0, id="作废不了 is a refusal"),
        pytest.param("违建拆除需要城管依照《城乡规划法》立案后决定,热线不能直接派人。", None, "refusal_reason", True, 1.0, id="a law named in book-title marks is a reason"),
        pytest.param("谢谢您出的这个主意,我们会把意见报给中心。", "你们要是能把银行开户也放进来就好了。", "thanks_feedback", True, 1.0, id="it-would-be-good-if is a suggestion"),
        pytest.param("给您添麻烦了,我马上给您补登记。", "你们的叫号屏老是跳号!", "thanks_feedback", True, 0.0, id="a skipping display is feedback to thank"),
        pytest.param("需要老人身份证和户口本,到时候他们会告诉您还要补什么。", "要准备什么?", "one_time_notice", True, 0.0, id="they will tell you what else to add"),
        pytest.param("您说系统差可不公平,别人上传都没问题,就是您的照片太大了。", None, "no_arguing", True, 0.0, id="everyone else's uploads work"),
        pytest.param("您刚才肯定是没等提示就把卡往里塞。", None, "no_arguing", True, 0.0, id="you surely did it wrong just now"),
        pytest.param("您朋友又不是办社保的,他说的能算数吗?规定就是规定。", None, "no_arguing", True, 0.0, id="your friend's word does not count"),
        pytest.param("不客气,这是我们应该做的。", "好嘞,谢了啊,办得真快。", "farewell", True, 0.0, id="谢了啊 is a goodbye"),
        pytest.param("谢谢您的肯定!我会把您的表扬转达给她。", "你们那个小姑娘态度真好,耐心给我讲了半天。", "thanks_feedback", True, 1.0, id="praise of a colleague passed on"),
        pytest.param("这段时间咨询电话比较多。请问您要咨询什么?", "我都打了八遍电话了才打通。", "apology", True, 0.0, id="calling eight times calls for an apology"),
        pytest.param("光有身份证还不够,您先回去把户口本拿来。", "我就带了身份证,能交了不?", "one_time_notice", True, 0.0, id="one item at a time when only an ID was brought"),
        pytest.param("第二页的联系电话少了一位,您先改一下,改好了我再往下看。", None, "one_time_notice", True, 0.0, id="one error at a time"),
        pytest.param("抱歉,号不能调,您就按顺序等吧。", None, "refusal_reason", True, 0.0, id="wait your turn is no reason"),
        pytest.param("很抱歉,村里的证明我们这儿不认,规定就是这样。", None, "refusal_reason", True, 0.0, id="不认 refuses"),
        pytest.param("抱歉,受理了的件删不掉,这个是规定。", None, "refusal_reason", True, 0.0, id="这个是规定 names no rule"),
        pytest.param("居住证不是当场给,受理后要制证。", "居住证是当场就给吗?", "time_given", True, 0.0, id="not on the spot is no time"),
        pytest.param("谢谢您提出来,处理结果会在大厅公告栏公示。", None, "redirect_named", False, 0.0, id="a notice board result is no redirect"),
        pytest.param("我这就把您遇到的问题报给信息中心排查。", None, "redirect_named", False, 0.0, id="遇到 is no 到 a place"),
        pytest.param("系统里查不到,八成是您上午没点提交。", None, "no_arguing", True, 0.0, id="most likely your fault"),
        pytest.param("我们为难您干什么?每一页都涉及您的权益。", None, "no_arguing", True, 0.0, id="why would we make it hard for you"),
        pytest.param("大家都在排队,又不是只让您一个人等。", None, "no_arguing", True, 0.0, id="everyone is waiting"),
        pytest.param("很抱歉,手机照片不能用,这是规定,我们也没有办法受理。", None, "refusal_reason", True, 0.0, id="这是规定 and 没有办法 name no rule"),
        pytest.param("抱歉,法定代表人变更电话里办不了。", None, "refusal_reason", True, 0.0, id="法定代表人 is no legal reason"),
        pytest.param("对不起,四级的申请不了护理补贴,政策就是这么定的。", None, "refusal_reason", True, 0.0, id="政策就是这么定的 names no rule"),
        pytest.param("这份证明没问题。学历证明需要认证,您先去办学历认证,办好再来看。", "我补了无犯罪记录证明,还有问题吗?", "one_time_notice", True, 0.0, id="come back and we'll look again"),
        pytest.param("我们电话里说的是302窗口,是您自己走到西区去了,这次别再走错了。", None, "no_arguing", True, 0.0, id="you walked to the wrong side yourself"),
        pytest.param("审批环节比原定延后了,明天上午可以出结果。", "你们上周通知的领取时间是周三,我来了说还没批下来?", "apology", True, 0.0, id="told to come and it is not ready calls for an apology"),
        pytest.param("还不够,另外还需要几样证件,您回去把家里的证件都带上。", "出生证明和身份证都在这,能落户吗?", "one_time_notice", True, 0.0, id="a few more documents names none"),
        pytest.param("感谢您的提醒,坡道是建楼时修的,不是我们窗口能定的。", "你们门口那个坡道太陡了,轮椅上不来。", "thanks_feedback", True, 0.5, id="a steep ramp is feedback"),
        pytest.param("没有了,您的业务已经办理完毕。", "那没什么事了吧?", "farewell", True, 0.0, id="nothing else then calls for a farewell"),
        pytest.param("表是国家统一的,又不是我们故意搞复杂,大家都是这么填的。", None, "no_arguing", True, 0.0, id="not our doing and everyone fills it in"),
        pytest.param("按规定是不能受理的,请您理解。", None, "refusal_reason", True, 0.5, id="the rules invoked only to say no: half"),
        pytest.param("抱歉,您的居住登记未满半年,按规定不能受理。", None, "refusal_reason", True, 1.0, id="the fact of the case is the reason"),
        pytest.param("您反映的问题已收悉,我们会尽快处理。", "[网上留言] 你们窗口中午都没人。", "greeting", True, 0.0, id="a written message is answered with a greeting"),
        pytest.param("对此我们深表歉意,系统已经修复。", "[12345工单] 市民反映:预约系统故障,白跑一趟。", "apology", True, 1.0, id="the written register apologises with 歉意"),
        pytest.param("居住证自受理之日起15日内制发完成。", "居住证办好要多久?", "time_given", True, 1.0, id="a deadline in 日内"),
        pytest.param("这项补贴不在本窗口办理,请您到区残联(人民路56号)申请。", None, "redirect_named", True, 1.0, id="a street address names the place"),
        pytest.param("我们没有搞错,是您家没按时参加年度复核。", None, "no_arguing", True, 0.0, id="the fault put on the citizen's family"),
        pytest.param("您好,热线的菜单是为了分流来电。", "你们这个热线要按好几次键,老人不会操作。", "thanks_feedback", True, 0.0, id="a complaint that the hotline is hard to use"),
        pytest.param("好的,下周一请您带上身份证过来。", "那行,我下周一过去办,先挂了啊。", "farewell", True, 0.0, id="hanging up calls for a farewell"),
        pytest.param("我查了一下,是上个月录入时出了差错,已经重新录入了。", "我上个月认证过了,怎么养老金没到账?", "apology", True, 0.0, id="the office's own error calls for an apology"),
        pytest.param("大爷,您别老打断我,先听我说完。", None, "no_arguing", True, 0.0, id="telling an old man off for interrupting"),
        pytest.param("不过这个不是我们这边慢,是您上季度的申报没做。", None, "no_arguing", True, 0.0, id="not our delay, your missing filing"),
        pytest.param("这个表格目前只有中文版本,我帮您填。", "你们的表格只有中文,可以有英文吗?", "thanks_feedback", True, 0.0, id="asking for an English form is a suggestion"),
        pytest.param("等候区是按标准配的,年内会改造。", "你们这等候区也太简陋了,连个靠背都没有。", "thanks_feedback", True, 0.0, id="a bare waiting room is a complaint"),
        pytest.param("查了一下,是这个月核发时漏算了护理费,下周补上。", "我的补贴怎么少了一百?", "apology", True, 0.0, id="the office left an item out of the sum"),
        pytest.param("审核已经到复核环节了,办结后短信通知您。", "我上个月交的材料,怎么还在审核?", "time_given", True, 0.0, id="still being reviewed asks when"),
        pytest.param("这次没批下来,结果已经出了,请您理解。", None, "refusal_reason", True, 0.0, id="not approved is a refusal that owes a reason"),
        pytest.param("这个每年都要报,您拖着不报,被罚也怪不了别人。", None, "no_arguing", True, 0.0, id="your own delay, blame no one else"),
        pytest.param("好的,材料齐了会电话通知您。回去路上慢一点,注意安全。", "那我先回去了。", "farewell", True, 1.0, id="take care on the way home is a farewell"),
        pytest.param("每个月二十号打到您卡上。", "补贴每个月啥时候到账?", "time_given", True, 1.0, id="a day of the month in Chinese numerals"),
        pytest.param("您这也填得太乱了,重新填一张吧。", None, "no_arguing", True, 0.0, id="scolding a messy form"),
        pytest.param("手续在网上也能办。", "（一位大爷急匆匆跑进来）同志,我办个手续。", "greeting", True, 0.0, id="rushing in is an arrival"),
        pytest.param("按照《道路交通安全法》,外国驾照不能直接驾驶,请您理解。", None, "refusal_reason", True, 1.0, id="the named law is the reason"),
        pytest.param("好的大爷,您输一下密码,输完按确认键。", None, "honorific", True, 0.75, id="您 but a request without 请"),
        pytest.param("好的大爷,请您输一下密码,输完按确认键。", None, "honorific", True, 1.0, id="a request opened with 请"),
        pytest.param("要摘的,把眼镜摘下来,头发别挡住耳朵。", None, "honorific", True, 0.5, id="a bare request with no pronoun"),
        pytest.param("让您找了半天,不好意思。多亏您告诉我们,这周就重新做块牌子。", "你们门口的指示牌写得不清楚。", "thanks_feedback", True, 1.0, id="credit for telling us is thanks"),
        pytest.param("您这个点子好,回头我就跟主任提。", "你们大厅要是有台复印机就方便了。", "thanks_feedback", True, 1.0, id="a wish for the hall is a suggestion"),
        pytest.param("没关系,不过表上其实写得挺清楚的,我给您一张新表。", None, "no_arguing", True, 0.0, id="the form was plain enough"),
        pytest.param("领卡的时候应该就说过要激活的,请您输一下密码。", None, "no_arguing", True, 0.0, id="you were told when you collected it"),
        pytest.param("目前装修这一项提不了,您看看有没有别的办法吧。", None, "refusal_reason", True, 0.0, id="cannot be drawn is a refusal"),
        pytest.param("好的,下午您直接到3号窗口找我。", "行,那我下午再来。", "farewell", True, 0.0, id="coming back this afternoon is leaving"),
        pytest.param("感谢您提出这个问题,我们会反映给中心,近期增加坐席。", "你们电话总是占线,很难打进来。", "thanks_feedback", True, 1.0,
                     id="always engaged is a complaint, and thanks for raising it is thanks"),
        pytest.param("我们是按时寄出的,慢了是快递的原因,我帮您查一下单号。", None, "no_arguing", True, 0.0, id="the delay put on the courier"),
        pytest.param("请您在右下角申请人处签个名。", None, "redirect_named", False, 1.0, id="where to sign on a form is not a redirect"),
        pytest.param("好的,回执您收好。门口台阶有点滑,您慢点走。", "那我走了啊。", "farewell", True, 1.0, id="mind the step, walk slowly is a farewell"),
        pytest.param("下午的号四点半就停了,您要是早来半个小时就赶上了。", None, "no_arguing", True, 0.0, id="hindsight put on the citizen"),
        pytest.param("谢谢您提这个,下个月起凭号票可以免费停两小时。", "你们停车场太小了。", "thanks_feedback", True, 1.0,
                     id="a small car park is a complaint and from next month is what happens next"),
        pytest.param("感谢您的好建议!老年人可以到大厅办理,会更放心一些。", "建议电子税务局加个语音导航。", "thanks_feedback", True, 0.5,
                     id="feeling reassured is no follow-up"),
        pytest.param("评定医生临时被抽调去下乡了,真不好意思。", "我今天是来做残疾评定的。", "apology", True, 1.0,
                     id="the assessor called away means the citizen cannot be served"),
        pytest.param("恭喜二位!门口那边有个拍照区可以合影。", None, "redirect_named", False, 1.0, id="a photo corner over there is no redirect"),
        pytest.param("按规定是办不了的,您让单位财务跟我们联系。", None, "refusal_reason", True, 0.5, id="by the rules names no rule"),
        pytest.param("两位好,阿姨您先坐。", "我们来给老人迁户口。", "greeting", True, 1.0, id="hello to the two of you is a greeting"),
        pytest.param("好的,阿姨,记不清随时再打过来。", "哦,我记下了,那我挂了啊。", "farewell", True, 0.0,
                     id="the caller about to hang up is leaving"),
        pytest.param("抱歉给您带来不便,我现在就给您办。", "我的号怎么被跳过去了?", "apology", True, 1.0, id="a skipped number is an inconvenience"),
        pytest.param("我这就让保安去清理。", "你们门口的无障碍坡道被电动车堵住了。", "thanks_feedback", True, 0.0,
                     id="a blocked ramp reported is feedback to thank for"),
        pytest.param("能办,不过您下次最好早点出门。", None, "no_arguing", True, 0.0, id="advice to leave earlier next time is blame"),
        pytest.param("这个号是办税的,取号时要看清楚业务类型。", None, "no_arguing", True, 0.0, id="a lecture on taking the right number"),
        pytest.param("很抱歉,离婚登记没法远程办,按规定不可以。", None, "refusal_reason", True, 0.5, id="by the rules it cannot names no rule"),
        pytest.param("好的,工作人员会尽快给您回电。", "行,那我就等你们电话了。", "time_given", True, 0.0,
                     id="a citizen waiting for a call is owed a time"),
        pytest.param("其实也不算麻烦,大部分人一次就办好了。", "你们这办事真是太麻烦了。", "no_arguing", True, 0.0,
                     id="denying the trouble the citizen met is arguing"),
    ],
)
def test_criteria_apply_and_are_met(lexical_checker: Checker, reply: str, context: str | None,
                                    criterion: str, applicable: bool, met: float) -> None:  # fmt: skip
    result = lexical_checker.check(reply, context).criteria[criterion]
    assert result.applicable is applicable
    if applicable:
        assert result.met == met


def test_explicit_context_overrides_inference_and_counts_named_items(lexical_checker: Checker) -> None:
    ctx = Context(citizen="嗯", opening=True, missing_items=("结婚证", "户口本"))
    result = lexical_checker.check("还需要结婚证。", ctx)
    assert result.criteria["greeting"].applicable
    assert result.criteria["one_time_notice"].met == 0.5


def test_a_banned_phrase_scores_below_a_polite_reply(lexical_checker: Checker) -> None:
    rude = lexical_checker.check("不知道,你去问别人。", "社保卡在哪办?")
    polite = lexical_checker.check("您好,社保卡在3号窗口办理,我带您过去。", "社保卡在哪办?")
    assert rude.score < 60 < polite.score
    assert rude.criteria["no_banned"].met == 0.0


def test_every_criterion_is_explained_and_cited(lexical_checker: Checker) -> None:
    for criterion in lexical_checker.check("您好").criteria.values():
        assert criterion.explanation and criterion.source.startswith("《")


def test_every_criterion_met_by_cues_has_cues(lexical_checker: Checker) -> None:
    """A misspelt id in MET_BY_CUES would leave that criterion silently never met."""
    assert set(MET_BY_CUES) <= {c.id for c in lexical_checker.kb.criteria if c.cues}


def test_a_cached_score_hands_out_a_fresh_dict(lexical_checker: Checker) -> None:
    scorer = lexical_checker.etiquette
    first_score, first = scorer.score("您好,请稍等。", Context(citizen="你好"), [])
    first.clear()  # a caller changing its result must not change the next reply's
    second_score, second = scorer.score("您好,请稍等。", Context(citizen="你好"), [])
    assert second_score == first_score and set(second) == {c.id for c in lexical_checker.kb.criteria}


def test_veto_rows_mark_only_the_worse_reply_of_a_vetoed_criterion() -> None:
    pairs = [("no_arguing", "我马上帮您查。", "您自己没看清。"), ("greeting", "您好,请坐。", "坐吧。")]
    texts, rows = veto_rows(pairs, ["好的,请稍等。"])
    marked = {t: [VETO_CRITERIA[i] for i, on in enumerate(row) if on] for t, row in zip(texts, rows, strict=True)}
    # a greeting pair is not a veto criterion: its worse reply is no negative example either
    assert marked == {"好的,请稍等。": [], "我马上帮您查。": [], "您自己没看清。": ["no_arguing"], "您好,请坐。": []}


@pytest.fixture(scope="module")
def vetoing_checker(settings: Settings) -> Checker:
    """The lexical checker as users get it: with the veto head learned from the dev pairs."""
    return Checker.from_settings(settings.model_copy(update={"semantic": False}))


@pytest.mark.parametrize(
    ("reply", "context", "criterion", "met"),
    [
        pytest.param("身份证可以了,还差一两样材料,您回去再准备准备。", "办居住证材料够了吗?", "one_time_notice", 0.0,
                     id="a vague 'one or two more things' lists nothing"),
        pytest.param("还差户口本、结婚证和照片三样。", "我材料够了吗?", "one_time_notice", 1.0, id="every item named stays met"),
        pytest.param("我们系统不会出错的,您再想想是不是记错了。", "我的钱怎么少了?", "no_arguing", 0.0,
                     id="blame in polite words is arguing"),
        pytest.param("给您添麻烦了,我马上帮您查。", None, "no_arguing", 1.0, id="an apology and help is not arguing"),
        pytest.param("这个在区残联二楼康复科办理,地址我写给您。", None, "redirect_named", 1.0, id="a named office stays met"),
    ],
)
def test_the_learned_veto_fails_criteria_cues_would_pass(vetoing_checker: Checker, reply: str, context: str | None,
                                                          criterion: str, met: float) -> None:  # fmt: skip
    result = vetoing_checker.check(reply, context).criteria[criterion]
    assert result.applicable and result.met == met
    assert ("learned from labelled pairs" in result.note) is (met == 0.0)


def test_without_pair_examples_there_is_no_veto(settings: Settings) -> None:
    plain = Checker.from_settings(settings.model_copy(update={"semantic": False, "pair_examples": None}))
    assert plain.etiquette.veto is None
    assert plain.check("我们系统不会出错的,您再想想是不是记错了。").criteria["no_arguing"].met == 1.0
